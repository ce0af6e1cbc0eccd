/*
 * Unit tests of resolve.c: hostname targets get addresses or a dns_error,
 * without any network: names come from /etc/hosts, and the DNS server of
 * the failing case is a closed port on loopback.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "resolve.h"

#include <netinet/in.h>
#include <string.h>

static void parse_ok(struct cs_target_list *list, const char *token)
{
    char err[CS_ERRLEN] = "";
    if (cs_target_parse(list, token, 0, err, sizeof(err)) != CS_OK)
        fail_msg("'%s' rejected: %s", token, err);
}

static void resolve(struct cs_target_list *list, const char *servers)
{
    struct cs_target_list *lists[] = {list};
    const struct cs_resolve_opts opts = {.servers = servers, .timeout_ms = 200};
    char err[CS_ERRLEN] = "";
    if (cs_resolve_targets(lists, 1, &opts, err, sizeof(err)) != CS_OK)
        fail_msg("cs_resolve_targets: %s", err);
}

static void test_address_targets_are_left_alone(void **state)
{
    struct cs_target_list list = {0};
    parse_ok(&list, "10.0.0.0/30");
    parse_ok(&list, "[::1]");
    resolve(&list, NULL);
    for (size_t i = 0; i < list.count; i++) {
        assert_int_equal(list.items[i].naddrs, 0);
        assert_null(list.items[i].addrs);
        assert_null(list.items[i].dns_error);
    }
    cs_target_list_free(&list);
}

static void test_bad_dns_server_is_usage_error(void **state)
{
    struct cs_target_list list = {0};
    struct cs_target_list *lists[] = {&list};
    const struct cs_resolve_opts opts = {.servers = "not an address", .timeout_ms = 200};
    char err[CS_ERRLEN] = "";

    parse_ok(&list, "a.test");
    assert_int_equal(cs_resolve_targets(lists, 1, &opts, err, sizeof(err)), CS_ERR_USAGE);
    assert_non_null(strstr(err, "'not an address'"));
    cs_target_list_free(&list);
}

/* ---- resolution --------------------------------------------------------- */

static void test_hosts_file_name_gets_its_addresses(void **state)
{
    struct cs_target_list list = {0};
    bool loopback = false;

    parse_ok(&list, "localhost");
    resolve(&list, NULL);
    assert_null(list.items[0].dns_error);
    assert_true(list.items[0].naddrs >= 1);
    for (size_t i = 0; i < list.items[0].naddrs; i++) {
        const struct cs_addr *a = &list.items[0].addrs[i];
        loopback |=
            (a->family == AF_INET && a->v == 0x7f000001) || (a->family == AF_INET6 && a->v == 1);
    }
    assert_true(loopback);
    cs_target_list_free(&list);
}

static void test_unreachable_dns_server_gives_dns_error(void **state)
{
    struct cs_target_list list = {0};

    parse_ok(&list, "nothing-here.certsweep.invalid");
    resolve(&list, "127.0.0.1:9"); /* discard port: nobody answers */
    assert_non_null(list.items[0].dns_error);
    assert_int_equal(list.items[0].naddrs, 0);
    cs_target_list_free(&list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_address_targets_are_left_alone),
        cmocka_unit_test(test_bad_dns_server_is_usage_error),
        cmocka_unit_test(test_hosts_file_name_gets_its_addresses),
        cmocka_unit_test(test_unreachable_dns_server_gives_dns_error),
    };
    return cmocka_run_group_tests_name("resolve", tests, NULL, NULL);
}
