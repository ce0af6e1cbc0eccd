/*
 * Unit tests of target.c: parsing of targets, port lists and @FILE, and the
 * scan plan built from them (merging, exclusions, SNI, unresolved names,
 * iteration).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "target.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------ */

#define assert_u128_equal(a, b)                                                                    \
    do {                                                                                           \
        cs_u128 a_ = (a), b_ = (b);                                                                \
        assert_int_equal((uint64_t)(a_ >> 64), (uint64_t)(b_ >> 64));                              \
        assert_int_equal((uint64_t)a_, (uint64_t)b_);                                              \
    } while (0)

static cs_u128 v4(const char *text)
{
    unsigned char b[4];
    assert_int_equal(inet_pton(AF_INET, text, b), 1);
    return (cs_u128)((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]);
}

static cs_u128 v6(const char *text)
{
    unsigned char b[16];
    cs_u128 v = 0;
    assert_int_equal(inet_pton(AF_INET6, text, b), 1);
    for (int i = 0; i < 16; i++)
        v = v << 8 | b[i];
    return v;
}

static void parse_ok(struct cs_target_list *list, const char *token, unsigned flags)
{
    char err[CS_ERRLEN] = "";
    enum cs_rc rc = cs_target_parse(list, token, flags, err, sizeof(err));
    if (rc != CS_OK)
        fail_msg("'%s' rejected: %s", token, err);
}

/* Asserts token is a usage error whose message quotes it, and that nothing
 * was appended. */
static void assert_target_rejected(const char *token, unsigned flags)
{
    struct cs_target_list list = {0};
    char err[CS_ERRLEN] = "", quoted[CS_ERRLEN];

    assert_int_equal(cs_target_parse(&list, token, flags, err, sizeof(err)), CS_ERR_USAGE);
    snprintf(quoted, sizeof(quoted), "'%s'", token);
    if (strstr(err, quoted) == NULL)
        fail_msg("message for %s does not name it: %s", quoted, err);
    assert_int_equal(list.count, 0);
    cs_target_list_free(&list);
}

static void assert_portlist_rejected(const char *text)
{
    struct cs_portlist ports = {0};
    char err[CS_ERRLEN] = "", quoted[CS_ERRLEN];

    assert_int_equal(cs_portlist_parse(text, &ports, err, sizeof(err)), CS_ERR_USAGE);
    snprintf(quoted, sizeof(quoted), "'%s'", text);
    if (strstr(err, quoted) == NULL)
        fail_msg("message for %s does not name it: %s", quoted, err);
    assert_null(ports.ranges);
    assert_int_equal(ports.count, 0);
}

static void assert_port_range(const struct cs_portlist *ports, size_t i, unsigned lo, unsigned hi)
{
    assert_true(i < ports->count);
    assert_int_equal(ports->ranges[i].lo, lo);
    assert_int_equal(ports->ranges[i].hi, hi);
}

static struct cs_portlist ports_of(const char *text)
{
    struct cs_portlist ports = {0};
    char err[CS_ERRLEN] = "";
    if (cs_portlist_parse(text, &ports, err, sizeof(err)) != CS_OK)
        fail_msg("port list '%s' rejected: %s", text, err);
    return ports;
}

/* Gives a parsed hostname target the addresses the resolver would. */
static void resolve_by_hand(struct cs_target *t, const char *const *addrs, size_t n)
{
    assert_int_equal(t->kind, CS_TARGET_HOST);
    t->addrs = calloc(n, sizeof(*t->addrs));
    assert_non_null(t->addrs);
    for (size_t i = 0; i < n; i++) {
        bool is_v6 = strchr(addrs[i], ':') != NULL;
        t->addrs[i].family = is_v6 ? AF_INET6 : AF_INET;
        t->addrs[i].v = is_v6 ? v6(addrs[i]) : v4(addrs[i]);
    }
    t->naddrs = n;
}

static struct cs_plan *build(const struct cs_target_list *targets,
                             const struct cs_target_list *excludes, const char *default_ports,
                             const char *sni)
{
    struct cs_portlist ports = ports_of(default_ports);
    struct cs_plan *plan = NULL;
    char err[CS_ERRLEN] = "";
    if (cs_plan_build(targets, excludes, &ports, sni, &plan, err, sizeof(err)) != CS_OK)
        fail_msg("cs_plan_build: %s", err);
    assert_non_null(plan);
    cs_portlist_free(&ports);
    return plan;
}

/* Every endpoint the cursor yields, in order; *n receives the count. */
static struct cs_endpoint *walk(const struct cs_plan *plan, size_t *n)
{
    struct cs_plan_cursor cur = {0};
    struct cs_endpoint ep, *eps = NULL;
    size_t count = 0, cap = 0;

    while (cs_plan_peek(plan, &cur, &ep)) {
        if (count == cap) {
            cap = cap ? 2 * cap : 256;
            eps = realloc(eps, cap * sizeof(*eps));
            assert_non_null(eps);
        }
        eps[count++] = ep;
        cs_plan_advance(plan, &cur);
        assert_true(count <= plan->total);
    }
    *n = count;
    return eps;
}

static bool yields(const struct cs_plan *plan, const char *addr, uint16_t port)
{
    bool is_v6 = strchr(addr, ':') != NULL;
    cs_u128 v = is_v6 ? v6(addr) : v4(addr);
    size_t n;
    struct cs_endpoint *eps = walk(plan, &n);
    bool found = false;
    for (size_t i = 0; i < n && !found; i++)
        found = eps[i].addr.family == (is_v6 ? AF_INET6 : AF_INET) && eps[i].addr.v == v &&
                eps[i].port == port;
    free(eps);
    return found;
}

static int endpoint_cmp(const void *pa, const void *pb)
{
    const struct cs_endpoint *a = pa, *b = pb;
    int s;
    if (a->addr.family != b->addr.family)
        return a->addr.family < b->addr.family ? -1 : 1;
    if (a->addr.v != b->addr.v)
        return a->addr.v < b->addr.v ? -1 : 1;
    if (a->port != b->port)
        return a->port < b->port ? -1 : 1;
    if (a->sni == NULL || b->sni == NULL)
        return (a->sni != NULL) - (b->sni != NULL);
    s = strcmp(a->sni, b->sni);
    return s;
}

/* Walks the whole plan: exactly plan->total endpoints, none twice. */
static void assert_walk_is_exact(const struct cs_plan *plan)
{
    size_t n;
    struct cs_endpoint *eps = walk(plan, &n);
    char addr[64];

    assert_int_equal(n, plan->total);
    qsort(eps, n, sizeof(*eps), endpoint_cmp);
    for (size_t i = 1; i < n; i++)
        if (endpoint_cmp(&eps[i - 1], &eps[i]) == 0) {
            cs_addr_format(&eps[i].addr, addr, sizeof(addr));
            fail_msg("endpoint %s port %u sni %s yielded twice", addr, eps[i].port,
                     eps[i].sni ? eps[i].sni : "(none)");
        }
    free(eps);
}

/* ---- valid targets ------------------------------------------------------ */

static void test_single_ipv4_is_a_one_address_range(void **state)
{
    struct cs_target_list list = {0};
    parse_ok(&list, "10.0.0.5", 0);
    assert_int_equal(list.count, 1);
    assert_int_equal(list.items[0].kind, CS_TARGET_RANGE);
    assert_int_equal(list.items[0].family, AF_INET);
    assert_u128_equal(list.items[0].first, v4("10.0.0.5"));
    assert_u128_equal(list.items[0].last, v4("10.0.0.5"));
    assert_int_equal(list.items[0].ports.count, 0);
    cs_target_list_free(&list);
}

static void test_cidr_with_host_bits_set_covers_whole_block(void **state)
{
    struct cs_target_list list = {0};
    parse_ok(&list, "10.0.0.77/24", 0);
    assert_int_equal(list.items[0].family, AF_INET);
    assert_u128_equal(list.items[0].first, v4("10.0.0.0"));
    assert_u128_equal(list.items[0].last, v4("10.0.0.255"));
    cs_target_list_free(&list);
}

static void test_cidr_32_is_one_address(void **state)
{
    struct cs_target_list list = {0};
    parse_ok(&list, "192.168.1.1/32", 0);
    assert_u128_equal(list.items[0].first, v4("192.168.1.1"));
    assert_u128_equal(list.items[0].last, v4("192.168.1.1"));
    cs_target_list_free(&list);
}

static void test_range_is_inclusive(void **state)
{
    struct cs_target_list list = {0};
    parse_ok(&list, "10.0.0.1-10.0.0.40", 0);
    assert_int_equal(list.items[0].kind, CS_TARGET_RANGE);
    assert_int_equal(list.items[0].family, AF_INET);
    assert_u128_equal(list.items[0].first, v4("10.0.0.1"));
    assert_u128_equal(list.items[0].last, v4("10.0.0.40"));
    cs_target_list_free(&list);
}

static void test_ipv6_cidr_120_has_256_addresses(void **state)
{
    struct cs_target_list list = {0};
    parse_ok(&list, "2001:db8::1234/120", 0);
    assert_int_equal(list.items[0].kind, CS_TARGET_RANGE);
    assert_int_equal(list.items[0].family, AF_INET6);
    assert_u128_equal(list.items[0].first, v6("2001:db8::1200"));
    assert_u128_equal(list.items[0].last, v6("2001:db8::12ff"));
    cs_target_list_free(&list);
}

static void test_bracketed_ipv6(void **state)
{
    struct cs_target_list list = {0};
    parse_ok(&list, "[::1]", 0);
    assert_int_equal(list.items[0].kind, CS_TARGET_RANGE);
    assert_int_equal(list.items[0].family, AF_INET6);
    assert_u128_equal(list.items[0].first, 1);
    assert_u128_equal(list.items[0].last, 1);
    assert_int_equal(list.items[0].ports.count, 0);
    cs_target_list_free(&list);
}

static void test_bracketed_ipv6_with_ports(void **state)
{
    struct cs_target_list list = {0};
    parse_ok(&list, "[::1]:443,8443", 0);
    assert_int_equal(list.items[0].family, AF_INET6);
    assert_u128_equal(list.items[0].first, 1);
    assert_int_equal(list.items[0].ports.count, 2);
    assert_port_range(&list.items[0].ports, 0, 443, 443);
    assert_port_range(&list.items[0].ports, 1, 8443, 8443);
    cs_target_list_free(&list);
}

static void test_bare_ipv6_colons_all_belong_to_the_address(void **state)
{
    struct cs_target_list list = {0};
    parse_ok(&list, "2001:db8::1:443", 0);
    assert_int_equal(list.items[0].family, AF_INET6);
    assert_u128_equal(list.items[0].first, v6("2001:db8::1:443"));
    assert_int_equal(list.items[0].ports.count, 0);
    cs_target_list_free(&list);
}

static void test_cidr_with_ports(void **state)
{
    struct cs_target_list list = {0};
    parse_ok(&list, "10.0.0.0/24:443,8443", 0);
    assert_int_equal(list.items[0].family, AF_INET);
    assert_u128_equal(list.items[0].first, v4("10.0.0.0"));
    assert_u128_equal(list.items[0].last, v4("10.0.0.255"));
    assert_int_equal(list.items[0].ports.count, 2);
    assert_port_range(&list.items[0].ports, 0, 443, 443);
    assert_port_range(&list.items[0].ports, 1, 8443, 8443);
    cs_target_list_free(&list);
}

static void test_hostname_without_ports(void **state)
{
    struct cs_target_list list = {0};
    parse_ok(&list, "www.example.com", 0);
    assert_int_equal(list.items[0].kind, CS_TARGET_HOST);
    assert_string_equal(list.items[0].host, "www.example.com");
    assert_int_equal(list.items[0].ports.count, 0);
    assert_int_equal(list.items[0].naddrs, 0);
    assert_null(list.items[0].addrs);
    assert_null(list.items[0].dns_error);
    cs_target_list_free(&list);
}

static void test_hostname_with_ports(void **state)
{
    struct cs_target_list list = {0};
    parse_ok(&list, "mail.example.com:465,9000-9010", 0);
    assert_int_equal(list.items[0].kind, CS_TARGET_HOST);
    assert_string_equal(list.items[0].host, "mail.example.com");
    assert_int_equal(list.items[0].ports.count, 2);
    assert_port_range(&list.items[0].ports, 0, 465, 465);
    assert_port_range(&list.items[0].ports, 1, 9000, 9010);
    cs_target_list_free(&list);
}

static void test_hostname_with_dashes_is_not_a_range(void **state)
{
    struct cs_target_list list = {0};
    parse_ok(&list, "web-01.east-dc.example:8443", 0);
    assert_int_equal(list.items[0].kind, CS_TARGET_HOST);
    assert_string_equal(list.items[0].host, "web-01.east-dc.example");
    assert_int_equal(list.items[0].ports.count, 1);
    assert_port_range(&list.items[0].ports, 0, 8443, 8443);
    cs_target_list_free(&list);
}

static void test_targets_append_in_order(void **state)
{
    struct cs_target_list list = {0};
    parse_ok(&list, "10.0.0.1", 0);
    parse_ok(&list, "a.test", 0);
    parse_ok(&list, "[::2]", 0);
    assert_int_equal(list.count, 3);
    assert_u128_equal(list.items[0].first, v4("10.0.0.1"));
    assert_string_equal(list.items[1].host, "a.test");
    assert_u128_equal(list.items[2].first, 2);
    cs_target_list_free(&list);
    assert_int_equal(list.count, 0);
    assert_null(list.items);
}

/* ---- rejected targets --------------------------------------------------- */

static void test_rejects_octet_above_255(void **state)
{
    assert_target_rejected("300.1.1.1", 0);
}

static void test_rejects_ipv4_prefix_above_32(void **state)
{
    assert_target_rejected("10.0.0.0/33", 0);
}

static void test_rejects_range_ending_before_start(void **state)
{
    assert_target_rejected("1.2.3.4-1.2.3.1", 0);
}

static void test_rejects_range_mixing_families(void **state)
{
    assert_target_rejected("10.0.0.1-::1", 0);
}

static void test_rejects_ipv6_prefix_above_128(void **state)
{
    assert_target_rejected("::1/129", 0);
}

static void test_rejects_unclosed_bracket(void **state)
{
    assert_target_rejected("[::1", 0);
}

static void test_rejects_junk_after_bracket(void **state)
{
    assert_target_rejected("[::1]443", 0);
}

static void test_rejects_port_zero(void **state)
{
    assert_target_rejected("host:0", 0);
}

static void test_rejects_port_above_65535(void **state)
{
    assert_target_rejected("host:70000", 0);
}

static void test_rejects_empty_port_list_after_colon(void **state)
{
    assert_target_rejected("host:", 0);
}

static void test_rejects_empty_hostname_label(void **state)
{
    assert_target_rejected("a..b", 0);
}

static void test_rejects_empty_token(void **state)
{
    assert_target_rejected("", 0);
}

static void test_rejects_empty_brackets(void **state)
{
    assert_target_rejected("[]:443", 0);
}

static void test_rejects_large_block_without_allow_large(void **state)
{
    assert_target_rejected("0.0.0.0/7", 0);
}

static void test_accepts_large_block_with_allow_large(void **state)
{
    struct cs_target_list list = {0};
    parse_ok(&list, "0.0.0.0/7", CS_TARGET_ALLOW_LARGE);
    assert_u128_equal(list.items[0].first, 0);
    assert_u128_equal(list.items[0].last, v4("1.255.255.255"));
    cs_target_list_free(&list);
}

static void test_accepts_2_to_the_24_addresses_without_allow_large(void **state)
{
    struct cs_target_list list = {0};
    parse_ok(&list, "10.0.0.0/8", 0);
    assert_u128_equal(list.items[0].last - list.items[0].first + 1, CS_TARGET_LARGE_RANGE);
    cs_target_list_free(&list);
}

static void test_accepts_whole_ipv4_space_with_allow_large(void **state)
{
    struct cs_target_list list = {0};
    parse_ok(&list, "0.0.0.0/0", CS_TARGET_ALLOW_LARGE);
    assert_u128_equal(list.items[0].first, 0);
    assert_u128_equal(list.items[0].last, 0xffffffffu);
    cs_target_list_free(&list);
}

static void test_rejects_more_than_2_to_the_32_even_with_allow_large(void **state)
{
    assert_target_rejected("2001:db8::/95", CS_TARGET_ALLOW_LARGE);
}

/* ---- port lists --------------------------------------------------------- */

static void test_portlist_singles_and_ranges_in_order(void **state)
{
    struct cs_portlist ports = ports_of("443,8443,9000-9010");
    assert_int_equal(ports.count, 3);
    assert_port_range(&ports, 0, 443, 443);
    assert_port_range(&ports, 1, 8443, 8443);
    assert_port_range(&ports, 2, 9000, 9010);
    cs_portlist_free(&ports);
    assert_null(ports.ranges);
    assert_int_equal(ports.count, 0);
}

static void test_portlist_accepts_full_range(void **state)
{
    struct cs_portlist ports = ports_of("1-65535");
    assert_port_range(&ports, 0, 1, 65535);
    cs_portlist_free(&ports);
}

static void test_portlist_rejects_zero(void **state)
{
    assert_portlist_rejected("0");
}

static void test_portlist_rejects_above_65535(void **state)
{
    assert_portlist_rejected("70000");
}

static void test_portlist_rejects_reversed_range(void **state)
{
    assert_portlist_rejected("10-5");
}

static void test_portlist_rejects_trailing_letter(void **state)
{
    assert_portlist_rejected("4a");
}

static void test_portlist_rejects_lone_comma(void **state)
{
    assert_portlist_rejected(",");
}

static void test_portlist_rejects_trailing_comma(void **state)
{
    assert_portlist_rejected("443,");
}

static void test_portlist_rejects_empty(void **state)
{
    assert_portlist_rejected("");
}

static void test_portlist_rejects_sign_and_space(void **state)
{
    assert_portlist_rejected("+443");
    assert_portlist_rejected(" 443");
}

/* ---- @FILE -------------------------------------------------------------- */

/* Writes text to a new temporary file; returns "@PATH" (static buffer). */
static const char *target_file(const char *text, char *path, size_t len)
{
    static char arg[PATH_MAX + 2];
    snprintf(path, len, "%s/certsweep-targets-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    snprintf(arg, sizeof(arg), "@%s", path);
    return arg;
}

static void test_file_skips_comments_and_blank_lines(void **state)
{
    char path[PATH_MAX], err[CS_ERRLEN] = "";
    struct cs_target_list list = {0};
    const char *arg = target_file("# lab hosts\n"
                                  "\n"
                                  "10.0.0.1\n"
                                  "   a.test:8443   # the web front\n"
                                  "\t\n"
                                  "[::1]\n"
                                  "# the end, no newline after the last line\n"
                                  "10.0.1.0/30",
                                  path, sizeof(path));

    assert_int_equal(cs_target_add_arg(&list, arg, 0, err, sizeof(err)), CS_OK);
    assert_int_equal(list.count, 4);
    assert_u128_equal(list.items[0].first, v4("10.0.0.1"));
    assert_string_equal(list.items[1].host, "a.test");
    assert_port_range(&list.items[1].ports, 0, 8443, 8443);
    assert_u128_equal(list.items[2].first, 1);
    assert_u128_equal(list.items[3].last, v4("10.0.1.3"));
    cs_target_list_free(&list);
    unlink(path);
}

static void test_file_unreadable_is_usage_error_naming_it(void **state)
{
    char err[CS_ERRLEN] = "";
    struct cs_target_list list = {0};

    assert_int_equal(
        cs_target_add_arg(&list, "@/nonexistent/certsweep/targets.txt", 0, err, sizeof(err)),
        CS_ERR_USAGE);
    assert_non_null(strstr(err, "/nonexistent/certsweep/targets.txt"));
    assert_int_equal(list.count, 0);
}

static void test_file_bad_line_names_file_and_line(void **state)
{
    char path[PATH_MAX], err[CS_ERRLEN] = "", prefix[PATH_MAX + 16];
    struct cs_target_list list = {0};
    const char *arg = target_file("# comment\n10.0.0.1\n\n300.1.1.1\n", path, sizeof(path));

    assert_int_equal(cs_target_add_arg(&list, arg, 0, err, sizeof(err)), CS_ERR_USAGE);
    snprintf(prefix, sizeof(prefix), "%s:4: ", path);
    if (strncmp(err, prefix, strlen(prefix)) != 0)
        fail_msg("expected the message to start with '%s': %s", prefix, err);
    assert_non_null(strstr(err, "'300.1.1.1'"));
    cs_target_list_free(&list);
    unlink(path);
}

static void test_file_two_targets_on_a_line_is_rejected(void **state)
{
    char path[PATH_MAX], err[CS_ERRLEN] = "", prefix[PATH_MAX + 16];
    struct cs_target_list list = {0};
    const char *arg = target_file("10.0.0.1 10.0.0.2\n", path, sizeof(path));

    assert_int_equal(cs_target_add_arg(&list, arg, 0, err, sizeof(err)), CS_ERR_USAGE);
    snprintf(prefix, sizeof(prefix), "%s:1: ", path);
    assert_int_equal(strncmp(err, prefix, strlen(prefix)), 0);
    cs_target_list_free(&list);
    unlink(path);
}

static void test_arg_without_at_is_one_token(void **state)
{
    char err[CS_ERRLEN] = "";
    struct cs_target_list list = {0};
    assert_int_equal(cs_target_add_arg(&list, "10.0.0.0/30", 0, err, sizeof(err)), CS_OK);
    assert_int_equal(list.count, 1);
    cs_target_list_free(&list);
}

/* ---- addresses ---------------------------------------------------------- */

static void test_addr_format_both_families(void **state)
{
    struct cs_addr a4 = {AF_INET, v4("10.0.0.5")}, a6 = {AF_INET6, v6("2001:db8::1")};
    char buf[64];
    cs_addr_format(&a4, buf, sizeof(buf));
    assert_string_equal(buf, "10.0.0.5");
    cs_addr_format(&a6, buf, sizeof(buf));
    assert_string_equal(buf, "2001:db8::1");
}

static void test_addr_to_sockaddr_uses_network_order(void **state)
{
    struct cs_addr a4 = {AF_INET, v4("10.1.2.3")}, a6 = {AF_INET6, v6("::1")};
    struct sockaddr_storage ss;
    const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;

    assert_int_equal(cs_addr_to_sockaddr(&a4, 443, &ss), sizeof(struct sockaddr_in));
    assert_int_equal(sin->sin_family, AF_INET);
    assert_int_equal(ntohs(sin->sin_port), 443);
    assert_int_equal(ntohl(sin->sin_addr.s_addr), 0x0a010203);

    assert_int_equal(cs_addr_to_sockaddr(&a6, 8443, &ss), sizeof(struct sockaddr_in6));
    assert_int_equal(sin6->sin6_family, AF_INET6);
    assert_int_equal(ntohs(sin6->sin6_port), 8443);
    assert_memory_equal(&sin6->sin6_addr, &in6addr_loopback, sizeof(struct in6_addr));
}

/* ---- the plan ----------------------------------------------------------- */

static void test_plan_merges_overlapping_targets(void **state)
{
    struct cs_target_list targets = {0};
    parse_ok(&targets, "10.0.0.0/24", 0);
    parse_ok(&targets, "10.0.0.5", 0);
    struct cs_plan *plan = build(&targets, NULL, "443", NULL);

    assert_int_equal(plan->total, 256);
    assert_int_equal(plan->nspans, 1);
    assert_walk_is_exact(plan);
    cs_plan_free(&plan);
    assert_null(plan);
    cs_target_list_free(&targets);
}

static void test_plan_merges_touching_blocks(void **state)
{
    struct cs_target_list targets = {0};
    parse_ok(&targets, "10.0.0.128/25", 0);
    parse_ok(&targets, "10.0.0.0/25", 0);
    struct cs_plan *plan = build(&targets, NULL, "443", NULL);

    assert_int_equal(plan->nspans, 1);
    assert_u128_equal(plan->spans[0].first, v4("10.0.0.0"));
    assert_u128_equal(plan->spans[0].last, v4("10.0.0.255"));
    cs_plan_free(&plan);
    cs_target_list_free(&targets);
}

static void test_plan_two_ports_double_the_endpoints(void **state)
{
    struct cs_target_list targets = {0};
    parse_ok(&targets, "10.0.0.0/24", 0);
    parse_ok(&targets, "10.0.0.5", 0);
    struct cs_plan *plan = build(&targets, NULL, "443,8443", NULL);

    assert_int_equal(plan->total, 512);
    assert_true(yields(plan, "10.0.0.5", 443));
    assert_true(yields(plan, "10.0.0.5", 8443));
    assert_walk_is_exact(plan);
    cs_plan_free(&plan);
    cs_target_list_free(&targets);
}

static void test_plan_target_ports_replace_default_ports(void **state)
{
    struct cs_target_list targets = {0};
    parse_ok(&targets, "10.0.0.1:8443", 0);
    parse_ok(&targets, "10.0.0.2", 0);
    struct cs_plan *plan = build(&targets, NULL, "443", NULL);

    assert_int_equal(plan->total, 2);
    assert_true(yields(plan, "10.0.0.1", 8443));
    assert_false(yields(plan, "10.0.0.1", 443));
    assert_true(yields(plan, "10.0.0.2", 443));
    cs_plan_free(&plan);
    cs_target_list_free(&targets);
}

static void test_plan_exclusion_cuts_address_on_every_port(void **state)
{
    struct cs_target_list targets = {0}, excludes = {0};
    parse_ok(&targets, "10.0.0.0/24", 0);
    parse_ok(&excludes, "10.0.0.5", 0);
    struct cs_plan *plan = build(&targets, &excludes, "443,8443", NULL);

    assert_int_equal(plan->total, 2 * 255);
    assert_false(yields(plan, "10.0.0.5", 443));
    assert_false(yields(plan, "10.0.0.5", 8443));
    assert_true(yields(plan, "10.0.0.4", 443));
    assert_true(yields(plan, "10.0.0.6", 8443));
    assert_walk_is_exact(plan);
    cs_plan_free(&plan);
    cs_target_list_free(&targets);
    cs_target_list_free(&excludes);
}

static void test_plan_exclusion_with_port_cuts_only_that_port(void **state)
{
    struct cs_target_list targets = {0}, excludes = {0};
    parse_ok(&targets, "10.0.0.0/24", 0);
    parse_ok(&excludes, "10.0.0.5:443", 0);
    struct cs_plan *plan = build(&targets, &excludes, "443,8443", NULL);

    assert_int_equal(plan->total, 2 * 256 - 1);
    assert_false(yields(plan, "10.0.0.5", 443));
    assert_true(yields(plan, "10.0.0.5", 8443));
    assert_walk_is_exact(plan);
    cs_plan_free(&plan);
    cs_target_list_free(&targets);
    cs_target_list_free(&excludes);
}

static void test_plan_exclusions_at_block_edges_and_overlapping(void **state)
{
    struct cs_target_list targets = {0}, excludes = {0};
    parse_ok(&targets, "10.0.0.0/24", 0);
    parse_ok(&excludes, "10.0.0.0", 0);
    parse_ok(&excludes, "10.0.0.255", 0);
    parse_ok(&excludes, "10.0.0.10-10.0.0.19", 0);
    parse_ok(&excludes, "10.0.0.15-10.0.0.29", 0);
    parse_ok(&excludes, "192.168.0.0/16", 0); /* outside: no effect */
    struct cs_plan *plan = build(&targets, &excludes, "443", NULL);

    assert_int_equal(plan->total, 256 - 2 - 20);
    assert_false(yields(plan, "10.0.0.0", 443));
    assert_false(yields(plan, "10.0.0.255", 443));
    assert_false(yields(plan, "10.0.0.29", 443));
    assert_true(yields(plan, "10.0.0.9", 443));
    assert_true(yields(plan, "10.0.0.30", 443));
    assert_walk_is_exact(plan);
    cs_plan_free(&plan);
    cs_target_list_free(&targets);
    cs_target_list_free(&excludes);
}

static void test_plan_exclusion_of_everything_leaves_empty_plan(void **state)
{
    struct cs_target_list targets = {0}, excludes = {0};
    struct cs_plan_cursor cur = {0};
    struct cs_endpoint ep;
    parse_ok(&targets, "10.0.0.0/24", 0);
    parse_ok(&excludes, "10.0.0.0/16", 0);
    struct cs_plan *plan = build(&targets, &excludes, "443", NULL);

    assert_int_equal(plan->total, 0);
    assert_false(cs_plan_peek(plan, &cur, &ep));
    cs_plan_free(&plan);
    cs_target_list_free(&targets);
    cs_target_list_free(&excludes);
}

static void test_plan_exclusion_does_not_cross_families(void **state)
{
    struct cs_target_list targets = {0}, excludes = {0};
    parse_ok(&targets, "[::1]", 0);
    parse_ok(&targets, "0.0.0.1", 0);
    parse_ok(&excludes, "0.0.0.1", 0);
    struct cs_plan *plan = build(&targets, &excludes, "443", NULL);

    assert_int_equal(plan->total, 1);
    assert_true(yields(plan, "::1", 443));
    cs_plan_free(&plan);
    cs_target_list_free(&targets);
    cs_target_list_free(&excludes);
}

static void test_plan_hostname_target_sends_its_name_as_sni(void **state)
{
    static const char *const addrs[] = {"10.0.0.1", "2001:db8::1"};
    struct cs_target_list targets = {0};
    struct cs_plan_cursor cur = {0};
    struct cs_endpoint ep;
    size_t n = 0;

    parse_ok(&targets, "a.test", 0);
    resolve_by_hand(&targets.items[0], addrs, 2);
    struct cs_plan *plan = build(&targets, NULL, "443", "ignored.test");

    assert_int_equal(plan->total, 2);
    for (; cs_plan_peek(plan, &cur, &ep); cs_plan_advance(plan, &cur), n++) {
        assert_non_null(ep.sni);
        assert_string_equal(ep.sni, "a.test");
        assert_int_equal(ep.port, 443);
    }
    assert_int_equal(n, 2);
    assert_true(yields(plan, "10.0.0.1", 443));
    assert_true(yields(plan, "2001:db8::1", 443));
    assert_int_equal(plan->nunresolved, 0);
    cs_plan_free(&plan);
    cs_target_list_free(&targets);
}

static void test_plan_sni_option_goes_to_address_targets(void **state)
{
    struct cs_target_list targets = {0};
    struct cs_plan_cursor cur = {0};
    struct cs_endpoint ep;

    parse_ok(&targets, "10.0.0.0/30", 0);
    parse_ok(&targets, "[::1]", 0);
    struct cs_plan *plan = build(&targets, NULL, "443", "b.test");

    assert_int_equal(plan->total, 5);
    for (; cs_plan_peek(plan, &cur, &ep); cs_plan_advance(plan, &cur)) {
        assert_non_null(ep.sni);
        assert_string_equal(ep.sni, "b.test");
    }
    cs_plan_free(&plan);
    cs_target_list_free(&targets);
}

static void test_plan_without_sni_option_address_targets_send_none(void **state)
{
    struct cs_target_list targets = {0};
    struct cs_plan_cursor cur = {0};
    struct cs_endpoint ep;

    parse_ok(&targets, "10.0.0.0/30", 0);
    struct cs_plan *plan = build(&targets, NULL, "443", NULL);
    for (; cs_plan_peek(plan, &cur, &ep); cs_plan_advance(plan, &cur))
        assert_null(ep.sni);
    cs_plan_free(&plan);
    cs_target_list_free(&targets);
}

static void test_plan_same_address_with_two_snis_is_two_endpoints(void **state)
{
    static const char *const addrs[] = {"10.0.0.1"};
    struct cs_target_list targets = {0};

    parse_ok(&targets, "10.0.0.1", 0);
    parse_ok(&targets, "a.test", 0);
    resolve_by_hand(&targets.items[1], addrs, 1);
    struct cs_plan *plan = build(&targets, NULL, "443", NULL);

    assert_int_equal(plan->total, 2);
    assert_walk_is_exact(plan);
    cs_plan_free(&plan);
    cs_target_list_free(&targets);
}

static void test_plan_unresolved_host_listed_once_per_port(void **state)
{
    struct cs_target_list targets = {0};

    parse_ok(&targets, "gone.test", 0);
    parse_ok(&targets, "10.0.0.1", 0);
    targets.items[0].dns_error = "not_found";
    struct cs_plan *plan = build(&targets, NULL, "443,8443", NULL);

    assert_int_equal(plan->total, 2);
    assert_int_equal(plan->nunresolved, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_string_equal(plan->unresolved[i].host, "gone.test");
        assert_string_equal(plan->unresolved[i].dns_error, "not_found");
    }
    assert_int_equal(plan->unresolved[0].port, 443);
    assert_int_equal(plan->unresolved[1].port, 8443);
    assert_false(yields(plan, "0.0.0.0", 443));
    cs_plan_free(&plan);
    cs_target_list_free(&targets);
}

static void test_plan_unresolved_host_uses_its_own_ports(void **state)
{
    struct cs_target_list targets = {0};

    parse_ok(&targets, "gone.test:9000-9002", 0);
    targets.items[0].dns_error = "timeout";
    struct cs_plan *plan = build(&targets, NULL, "443", NULL);

    assert_int_equal(plan->total, 0);
    assert_int_equal(plan->nunresolved, 3);
    assert_int_equal(plan->unresolved[2].port, 9002);
    cs_plan_free(&plan);
    cs_target_list_free(&targets);
}

static void test_plan_iteration_yields_total_without_duplicates(void **state)
{
    static const char *const a_addrs[] = {"10.0.0.7", "10.0.1.1", "2001:db8::5"};
    static const char *const b_addrs[] = {"10.0.0.7"};
    struct cs_target_list targets = {0}, excludes = {0};

    parse_ok(&targets, "10.0.0.0/25", 0);
    parse_ok(&targets, "10.0.0.100-10.0.0.200", 0);
    parse_ok(&targets, "10.0.0.5:443,8443", 0);
    parse_ok(&targets, "[2001:db8::/120]:443,9000-9003", 0);
    parse_ok(&targets, "[2001:db8::80-2001:db8::1ff]", 0);
    parse_ok(&targets, "a.test", 0);
    parse_ok(&targets, "b.test:443,8443", 0);
    parse_ok(&targets, "a.test", 0); /* listed twice */
    resolve_by_hand(&targets.items[5], a_addrs, 3);
    resolve_by_hand(&targets.items[6], b_addrs, 1);
    resolve_by_hand(&targets.items[7], a_addrs, 3);
    parse_ok(&excludes, "10.0.0.50-10.0.0.60", 0);
    parse_ok(&excludes, "[2001:db8::10]:9001", 0);
    struct cs_plan *plan = build(&targets, &excludes, "443", NULL);

    /* 10.0.0.0-200 on 443 less 11 excluded; 10.0.0.5 on 8443;
     * 2001:db8::0-1ff on 443 and ::0-ff on 9000-9003 less one;
     * a.test 3 on 443; b.test 2 (443, 8443). */
    assert_int_equal(plan->total, (201 - 11) + 1 + 512 + (4 * 256 - 1) + 3 + 2);
    assert_walk_is_exact(plan);
    assert_false(yields(plan, "2001:db8::10", 9001));
    assert_true(yields(plan, "2001:db8::10", 9000));
    cs_plan_free(&plan);
    cs_target_list_free(&targets);
    cs_target_list_free(&excludes);
}

static void test_plan_cursor_stops_at_end(void **state)
{
    struct cs_target_list targets = {0};
    struct cs_plan_cursor cur = {0};
    struct cs_endpoint ep;

    parse_ok(&targets, "10.0.0.1", 0);
    struct cs_plan *plan = build(&targets, NULL, "443", NULL);
    assert_true(cs_plan_peek(plan, &cur, &ep));
    assert_true(cs_plan_peek(plan, &cur, &ep)); /* peek does not move */
    cs_plan_advance(plan, &cur);
    assert_false(cs_plan_peek(plan, &cur, &ep));
    cs_plan_advance(plan, &cur); /* advancing past the end stays there */
    assert_false(cs_plan_peek(plan, &cur, &ep));
    cs_plan_free(&plan);
    cs_plan_free(&plan); /* NULL is accepted */
    cs_target_list_free(&targets);
}

/* A run ending at ffff:...:ffff merges with one that overlaps it: the last
 * address is yielded once. */
static void test_plan_merges_overlapping_runs_at_top_of_ipv6_space(void **state)
{
    struct cs_target_list targets = {0};
    parse_ok(&targets, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0/124", 0);
    parse_ok(&targets, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0);
    struct cs_plan *plan = build(&targets, NULL, "443", NULL);

    assert_int_equal(plan->total, 16);
    assert_walk_is_exact(plan);
    cs_plan_free(&plan);
    cs_target_list_free(&targets);
}

/* An exclusion that gives no address (a hostname that did not resolve)
 * removes nothing and is not reported. */
static void test_plan_exclusion_without_addresses_is_ignored(void **state)
{
    struct cs_target_list targets = {0}, excludes = {0};
    parse_ok(&targets, "10.0.0.0/30", 0);
    parse_ok(&excludes, "gone.test", 0);
    excludes.items[0].dns_error = "not_found";
    struct cs_plan *plan = build(&targets, &excludes, "443", NULL);

    assert_int_equal(plan->total, 4);
    assert_int_equal(plan->nunresolved, 0); /* unresolved exclusions are not reported */
    cs_plan_free(&plan);
    cs_target_list_free(&targets);
    cs_target_list_free(&excludes);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_ipv4_is_a_one_address_range),
        cmocka_unit_test(test_cidr_with_host_bits_set_covers_whole_block),
        cmocka_unit_test(test_cidr_32_is_one_address),
        cmocka_unit_test(test_range_is_inclusive),
        cmocka_unit_test(test_ipv6_cidr_120_has_256_addresses),
        cmocka_unit_test(test_bracketed_ipv6),
        cmocka_unit_test(test_bracketed_ipv6_with_ports),
        cmocka_unit_test(test_bare_ipv6_colons_all_belong_to_the_address),
        cmocka_unit_test(test_cidr_with_ports),
        cmocka_unit_test(test_hostname_without_ports),
        cmocka_unit_test(test_hostname_with_ports),
        cmocka_unit_test(test_hostname_with_dashes_is_not_a_range),
        cmocka_unit_test(test_targets_append_in_order),
        cmocka_unit_test(test_rejects_octet_above_255),
        cmocka_unit_test(test_rejects_ipv4_prefix_above_32),
        cmocka_unit_test(test_rejects_range_ending_before_start),
        cmocka_unit_test(test_rejects_range_mixing_families),
        cmocka_unit_test(test_rejects_ipv6_prefix_above_128),
        cmocka_unit_test(test_rejects_unclosed_bracket),
        cmocka_unit_test(test_rejects_junk_after_bracket),
        cmocka_unit_test(test_rejects_port_zero),
        cmocka_unit_test(test_rejects_port_above_65535),
        cmocka_unit_test(test_rejects_empty_port_list_after_colon),
        cmocka_unit_test(test_rejects_empty_hostname_label),
        cmocka_unit_test(test_rejects_empty_token),
        cmocka_unit_test(test_rejects_empty_brackets),
        cmocka_unit_test(test_rejects_large_block_without_allow_large),
        cmocka_unit_test(test_accepts_large_block_with_allow_large),
        cmocka_unit_test(test_accepts_2_to_the_24_addresses_without_allow_large),
        cmocka_unit_test(test_accepts_whole_ipv4_space_with_allow_large),
        cmocka_unit_test(test_rejects_more_than_2_to_the_32_even_with_allow_large),
        cmocka_unit_test(test_portlist_singles_and_ranges_in_order),
        cmocka_unit_test(test_portlist_accepts_full_range),
        cmocka_unit_test(test_portlist_rejects_zero),
        cmocka_unit_test(test_portlist_rejects_above_65535),
        cmocka_unit_test(test_portlist_rejects_reversed_range),
        cmocka_unit_test(test_portlist_rejects_trailing_letter),
        cmocka_unit_test(test_portlist_rejects_lone_comma),
        cmocka_unit_test(test_portlist_rejects_trailing_comma),
        cmocka_unit_test(test_portlist_rejects_empty),
        cmocka_unit_test(test_portlist_rejects_sign_and_space),
        cmocka_unit_test(test_file_skips_comments_and_blank_lines),
        cmocka_unit_test(test_file_unreadable_is_usage_error_naming_it),
        cmocka_unit_test(test_file_bad_line_names_file_and_line),
        cmocka_unit_test(test_file_two_targets_on_a_line_is_rejected),
        cmocka_unit_test(test_arg_without_at_is_one_token),
        cmocka_unit_test(test_addr_format_both_families),
        cmocka_unit_test(test_addr_to_sockaddr_uses_network_order),
        cmocka_unit_test(test_plan_merges_overlapping_targets),
        cmocka_unit_test(test_plan_merges_touching_blocks),
        cmocka_unit_test(test_plan_two_ports_double_the_endpoints),
        cmocka_unit_test(test_plan_target_ports_replace_default_ports),
        cmocka_unit_test(test_plan_exclusion_cuts_address_on_every_port),
        cmocka_unit_test(test_plan_exclusion_with_port_cuts_only_that_port),
        cmocka_unit_test(test_plan_exclusions_at_block_edges_and_overlapping),
        cmocka_unit_test(test_plan_exclusion_of_everything_leaves_empty_plan),
        cmocka_unit_test(test_plan_exclusion_does_not_cross_families),
        cmocka_unit_test(test_plan_hostname_target_sends_its_name_as_sni),
        cmocka_unit_test(test_plan_sni_option_goes_to_address_targets),
        cmocka_unit_test(test_plan_without_sni_option_address_targets_send_none),
        cmocka_unit_test(test_plan_same_address_with_two_snis_is_two_endpoints),
        cmocka_unit_test(test_plan_unresolved_host_listed_once_per_port),
        cmocka_unit_test(test_plan_unresolved_host_uses_its_own_ports),
        cmocka_unit_test(test_plan_iteration_yields_total_without_duplicates),
        cmocka_unit_test(test_plan_cursor_stops_at_end),
        cmocka_unit_test(test_plan_merges_overlapping_runs_at_top_of_ipv6_space),
        cmocka_unit_test(test_plan_exclusion_without_addresses_is_ignored),
    };

    return cmocka_run_group_tests_name("target", tests, NULL, NULL);
}
