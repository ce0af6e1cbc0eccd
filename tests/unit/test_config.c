/*
 * Unit tests of config.c: every key, its default and its bounds; the
 * messages name the file, the line, the section and the key; secrets come
 * from the environment, a file or the key, in that order, and are never
 * quoted; files that show a secret to others are refused. The named
 * sections ([ticketing.NAME], [webhook.NAME]): the keys of each type, the
 * ways to authenticate, and the same rules for their secrets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "config.h"
#include "ticket.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SECRET "Sup3r-S3cret-Pa55"

/* The environment variables the tests set; unset before and after each. */
static const char *const test_env[] = {
    "CERTSWEEP_SMTP_PASSWORD",           "CERTSWEEP_CONFIG",
    "CERTSWEEP_TICKETING_SDP_AUTHTOKEN", "CERTSWEEP_TICKETING_SDP_PROD_AUTHTOKEN",
    "CERTSWEEP_TICKETING_SN_PASSWORD",   "CERTSWEEP_TICKETING_SN_OAUTH_CLIENT_SECRET",
    "CERTSWEEP_TICKETING_JIRA_PAT",      "CERTSWEEP_WEBHOOK_PD_ROUTING_KEY",
};

static void clear_test_env(void)
{
    for (size_t i = 0; i < sizeof(test_env) / sizeof(test_env[0]); i++)
        unsetenv(test_env[i]);
}

static const char smtp_ok[] = "[smtp]\n"
                              "url = smtp://127.0.0.1:2525\n"
                              "from = certsweep@example.com\n";

/* Each test gets an empty directory and a clean environment. */
struct fixture {
    char dir[PATH_MAX];
    char path[PATH_MAX + 64];
    struct cs_config cfg;
    char err[CS_ERRLEN];
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

    if (fx == NULL)
        return -1;
    snprintf(fx->dir, sizeof(fx->dir), "%s/certsweep-config-XXXXXX", tmp);
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    clear_test_env();
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    DIR *d = opendir(fx->dir);
    struct dirent *e;
    char path[2 * PATH_MAX];

    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", fx->dir, e->d_name);
        unlink(path);
    }
    if (d != NULL)
        closedir(d);
    rmdir(fx->dir);
    cs_config_clear(&fx->cfg);
    clear_test_env();
    free(fx);
    return 0;
}

/* Writes text to DIR/name with exactly that mode; returns the path. */
static const char *write_file(struct fixture *fx, const char *name, const char *text, mode_t mode)
{
    snprintf(fx->path, sizeof(fx->path), "%s/%s", fx->dir, name);
    int fd = open(fx->path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
    return fx->path;
}

static enum cs_rc parse(struct fixture *fx, const char *text)
{
    cs_config_clear(&fx->cfg);
    fx->err[0] = '\0';
    return cs_config_parse(text, "t.conf", &fx->cfg, fx->err, sizeof(fx->err));
}

/* Parses [smtp] smtp_ok plus one line, or [section] with one line. */
static enum cs_rc parse_with(struct fixture *fx, const char *section, const char *line)
{
    char text[4096];
    if (strcmp(section, "smtp") == 0)
        snprintf(text, sizeof(text), "%s%s\n", smtp_ok, line);
    else if (strcmp(section, "syslog") == 0)
        snprintf(text, sizeof(text), "[syslog]\ntarget = udp://127.0.0.1\n%s\n", line);
    else
        snprintf(text, sizeof(text), "[%s]\n%s\n", section, line);
    return parse(fx, text);
}

static void expect_ok(struct fixture *fx, enum cs_rc rc)
{
    if (rc != CS_OK)
        fail_msg("unexpected error: %s", fx->err);
}

static void expect_error(struct fixture *fx, enum cs_rc rc, const char *message)
{
    assert_int_equal(rc, CS_ERR_USAGE);
    assert_string_equal(fx->err, message);
}

/* ---- defaults ------------------------------------------------------------ */

static void test_empty_text_is_an_empty_configuration(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse(fx, ""));
    assert_false(fx->cfg.smtp.configured);
    assert_false(fx->cfg.syslog.configured);
    assert_null(fx->cfg.smtp.url);
    assert_null(fx->cfg.syslog.target);
    assert_null(fx->cfg.path);
}

static void test_outbox_defaults_without_a_section(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse(fx, "; nothing\n"));
    assert_int_equal(fx->cfg.outbox.max_attempts, 10);
    assert_int_equal(fx->cfg.outbox.retry_min_s, 60);
    assert_int_equal(fx->cfg.outbox.retry_max_s, 21600);
}

static void test_smtp_defaults(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse(fx, smtp_ok));
    assert_true(fx->cfg.smtp.configured);
    assert_string_equal(fx->cfg.smtp.url, "smtp://127.0.0.1:2525");
    assert_string_equal(fx->cfg.smtp.from, "certsweep@example.com");
    assert_true(fx->cfg.smtp.starttls);
    assert_null(fx->cfg.smtp.username);
    assert_null(fx->cfg.smtp.password);
    assert_null(fx->cfg.smtp.password_source);
    assert_null(fx->cfg.smtp.ca_file);
    assert_false(fx->cfg.smtp.insecure);
    assert_int_equal(fx->cfg.smtp.timeout_ms, 30000);
    assert_false(fx->cfg.syslog.configured);
}

static void test_syslog_defaults(void **state)
{
    struct fixture *fx = *state;
    char host[256] = "";
    gethostname(host, sizeof(host) - 1);
    expect_ok(fx, parse(fx, "[syslog]\ntarget = udp://127.0.0.1\n"));
    assert_true(fx->cfg.syslog.configured);
    assert_int_equal(fx->cfg.syslog.transport, CS_SYSLOG_UDP);
    assert_string_equal(fx->cfg.syslog.host, "127.0.0.1");
    assert_string_equal(fx->cfg.syslog.port, "514");
    assert_int_equal(fx->cfg.syslog.facility, 16);
    assert_string_equal(fx->cfg.syslog.app_name, "certsweep");
    assert_string_equal(fx->cfg.syslog.hostname, host);
    assert_null(fx->cfg.syslog.ca_file);
    assert_int_equal(fx->cfg.syslog.timeout_ms, 5000);
    assert_false(fx->cfg.smtp.configured);
}

/* ---- each key ------------------------------------------------------------ */

static void test_smtp_keys(void **state)
{
    struct fixture *fx = *state;
    const char *ca = write_file(fx, "ca.pem", "-----BEGIN CERTIFICATE-----\n", 0644);
    char text[PATH_MAX + 512];
    snprintf(text, sizeof(text),
             "[smtp]\n"
             "url = smtp://mail.example.com:587\n"
             "starttls = required\n"
             "from = alerts@example.com\n"
             "username = alice\n"
             "password = " SECRET "\n"
             "ca_file = %s\n"
             "timeout = 45\n",
             ca);
    expect_ok(fx, parse(fx, text));
    assert_string_equal(fx->cfg.smtp.url, "smtp://mail.example.com:587");
    assert_true(fx->cfg.smtp.starttls);
    assert_string_equal(fx->cfg.smtp.from, "alerts@example.com");
    assert_string_equal(fx->cfg.smtp.username, "alice");
    assert_string_equal(fx->cfg.smtp.password, SECRET);
    assert_string_equal(fx->cfg.smtp.password_source, "password");
    assert_string_equal(fx->cfg.smtp.ca_file, ca);
    assert_int_equal(fx->cfg.smtp.timeout_ms, 45000);
}

static void test_syslog_keys(void **state)
{
    struct fixture *fx = *state;
    const char *ca = write_file(fx, "ca.pem", "-----BEGIN CERTIFICATE-----\n", 0644);
    char text[PATH_MAX + 512];
    snprintf(text, sizeof(text),
             "[syslog]\n"
             "target = tls://logs.example.com:10514\n"
             "facility = daemon\n"
             "app_name = scanner-1\n"
             "hostname = probe.example.com\n"
             "ca_file = %s\n"
             "timeout = 9\n",
             ca);
    expect_ok(fx, parse(fx, text));
    assert_string_equal(fx->cfg.syslog.target, "tls://logs.example.com:10514");
    assert_int_equal(fx->cfg.syslog.transport, CS_SYSLOG_TLS);
    assert_string_equal(fx->cfg.syslog.host, "logs.example.com");
    assert_string_equal(fx->cfg.syslog.port, "10514");
    assert_int_equal(fx->cfg.syslog.facility, 3);
    assert_string_equal(fx->cfg.syslog.app_name, "scanner-1");
    assert_string_equal(fx->cfg.syslog.hostname, "probe.example.com");
    assert_string_equal(fx->cfg.syslog.ca_file, ca);
    assert_int_equal(fx->cfg.syslog.timeout_ms, 9000);
}

static void test_outbox_keys(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse(fx, "[outbox]\nmax_attempts = 3\nretry_min = 5\nretry_max = 5\n"));
    assert_int_equal(fx->cfg.outbox.max_attempts, 3);
    assert_int_equal(fx->cfg.outbox.retry_min_s, 5);
    assert_int_equal(fx->cfg.outbox.retry_max_s, 5);
}

static void test_smtps_url(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse(fx, "[smtp]\nurl = smtps://mail.example.com\nfrom = a@example.com\n"));
    assert_string_equal(fx->cfg.smtp.url, "smtps://mail.example.com");
}

static void test_smtp_url_ipv6_and_no_port(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse(fx, "[smtp]\nurl = smtp://[::1]:25\nfrom = a@example.com\n"));
    expect_ok(fx, parse(fx, "[smtp]\nurl = smtp://localhost\nfrom = a@example.com\n"));
    expect_ok(fx, parse(fx, "[smtp]\nurl = smtp://localhost/\nfrom = a@example.com\n"));
}

static void test_smtp_url_bad_values(void **state)
{
    struct fixture *fx = *state;
    static const char *const bad[] = {
        "http://mail.example.com", "smtp://",       "smtp://:25",       "smtp://host:0",
        "smtp://host:65536",       "smtp://host:x", "smtp://host/path", "smtp://[::1",
        "smtp://[nope]:25",        "smtp:/host",    "mail.example.com", "smtp://ho st",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[256], want[512];
        snprintf(text, sizeof(text), "[smtp]\nfrom = a@example.com\nurl = %s\n", bad[i]);
        snprintf(want, sizeof(want),
                 "t.conf:3: [smtp] url: expected smtp://HOST[:PORT] or smtps://HOST[:PORT], not "
                 "'%s'",
                 bad[i]);
        expect_error(fx, parse(fx, text), want);
    }
}

static void test_smtp_url_with_a_user_is_refused(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(parse(fx, "[smtp]\nurl = smtp://alice:pw@host\nfrom = a@b\n"), CS_ERR_USAGE);
    assert_non_null(strstr(fx->err, "t.conf:2: [smtp] url: expected no user in the URL"));
    assert_null(strstr(fx->err, "pw@"));
}

static void test_starttls_values(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse_with(fx, "smtp", "starttls = required"));
    assert_true(fx->cfg.smtp.starttls);
    expect_ok(fx, parse_with(fx, "smtp", "starttls = none"));
    assert_false(fx->cfg.smtp.starttls);
    expect_error(fx, parse_with(fx, "smtp", "starttls = maybe"),
                 "t.conf:4: [smtp] starttls: expected required or none, not 'maybe'");
}

static void test_starttls_with_smtps_is_refused(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse(fx, "[smtp]\nurl = smtps://h\nfrom = a@b\nstarttls = none\n"),
                 "t.conf:4: [smtp] starttls: only for smtp:// URLs; smtps:// is TLS from the "
                 "first byte");
}

static void test_password_without_tls_is_refused(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx,
                 parse(fx, "[smtp]\nurl = smtp://h\nfrom = a@b\nstarttls = none\n"
                           "username = u\npassword = " SECRET "\n"),
                 "t.conf:4: [smtp] starttls = none with a password would send the password in "
                 "clear; use starttls = required or an smtps:// URL");
    expect_ok(fx, parse(fx, "[smtp]\nurl = smtps://h\nfrom = a@b\nusername = u\npassword = " SECRET
                            "\n"));
}

static void test_from_must_look_like_an_address(void **state)
{
    struct fixture *fx = *state;
    static const char *const bad[] = {"certsweep", "@example.com", "certsweep@",
                                      "a@b@c",     "a b@c",        "<a@b>"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[256], want[512];
        snprintf(text, sizeof(text), "[smtp]\nurl = smtp://h\nfrom = %s\n", bad[i]);
        snprintf(want, sizeof(want),
                 "t.conf:3: [smtp] from: expected an address like certsweep@example.com, not '%s'",
                 bad[i]);
        expect_error(fx, parse(fx, text), want);
    }
}

static void test_ca_file_must_exist(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse_with(fx, "smtp", "ca_file = /nonexistent/ca.pem"),
                 "t.conf:4: [smtp] ca_file: cannot read '/nonexistent/ca.pem': No such file or "
                 "directory");
    assert_int_equal(parse_with(fx, "smtp", "ca_file = /"), CS_ERR_USAGE);
    assert_non_null(strstr(fx->err, "is not a regular file"));
}

static void test_syslog_ca_file_only_for_tls(void **state)
{
    struct fixture *fx = *state;
    const char *ca = write_file(fx, "ca.pem", "x\n", 0644);
    char line[PATH_MAX + 16];
    snprintf(line, sizeof(line), "ca_file = %s", ca);
    expect_error(fx, parse_with(fx, "syslog", line),
                 "t.conf:3: [syslog] ca_file: only for tls:// targets");
}

static void test_timeouts_are_seconds_from_1_to_600(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse_with(fx, "smtp", "timeout = 1"));
    assert_int_equal(fx->cfg.smtp.timeout_ms, 1000);
    expect_ok(fx, parse_with(fx, "syslog", "timeout = 600"));
    assert_int_equal(fx->cfg.syslog.timeout_ms, 600000);
    expect_error(fx, parse_with(fx, "smtp", "timeout = 0"),
                 "t.conf:4: [smtp] timeout: expected seconds from 1 to 600, not '0'");
    expect_error(fx, parse_with(fx, "syslog", "timeout = 601"),
                 "t.conf:3: [syslog] timeout: expected seconds from 1 to 600, not '601'");
    expect_error(fx, parse_with(fx, "smtp", "timeout = 30s"),
                 "t.conf:4: [smtp] timeout: expected seconds from 1 to 600, not '30s'");
    expect_error(fx, parse_with(fx, "smtp", "timeout = -1"),
                 "t.conf:4: [smtp] timeout: expected seconds from 1 to 600, not '-1'");
    expect_error(fx, parse_with(fx, "smtp", "timeout = 99999999999999999999999"),
                 "t.conf:4: [smtp] timeout: expected seconds from 1 to 600, not "
                 "'99999999999999999999999'");
}

static void test_outbox_bounds(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse_with(fx, "outbox", "max_attempts = 1000"));
    expect_error(fx, parse_with(fx, "outbox", "max_attempts = 0"),
                 "t.conf:2: [outbox] max_attempts: expected a number from 1 to 1000, not '0'");
    expect_error(fx, parse_with(fx, "outbox", "max_attempts = 1001"),
                 "t.conf:2: [outbox] max_attempts: expected a number from 1 to 1000, not '1001'");
    expect_error(fx, parse_with(fx, "outbox", "retry_min = 86401"),
                 "t.conf:2: [outbox] retry_min: expected seconds from 1 to 86400, not '86401'");
}

static void test_retry_max_below_retry_min_is_refused(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse(fx, "[outbox]\nretry_max = 30\nretry_min = 40\n"),
                 "t.conf:2: [outbox] retry_max (30) must be at least retry_min (40)");
    /* Against the default retry_max of 21600. */
    expect_error(fx, parse(fx, "[outbox]\nretry_min = 30000\n"),
                 "t.conf:2: [outbox] retry_max (21600) must be at least retry_min (30000)");
}

/* ---- syslog target and facility -------------------------------------------- */

static void test_syslog_default_ports(void **state)
{
    struct fixture *fx = *state;
    static const struct {
        const char *target;
        enum cs_syslog_transport transport;
        const char *port;
    } cases[] = {
        {"udp://h.example", CS_SYSLOG_UDP, "514"},
        {"tcp://h.example", CS_SYSLOG_TCP, "514"},
        {"tls://h.example", CS_SYSLOG_TLS, "6514"},
        {"tcp://h.example:5514", CS_SYSLOG_TCP, "5514"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text), "[syslog]\ntarget = %s\n", cases[i].target);
        expect_ok(fx, parse(fx, text));
        assert_int_equal(fx->cfg.syslog.transport, cases[i].transport);
        assert_string_equal(fx->cfg.syslog.host, "h.example");
        assert_string_equal(fx->cfg.syslog.port, cases[i].port);
        assert_string_equal(fx->cfg.syslog.target, cases[i].target);
    }
}

static void test_syslog_ipv6_target(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse(fx, "[syslog]\ntarget = tcp://[::1]:5514\n"));
    assert_string_equal(fx->cfg.syslog.host, "::1");
    assert_string_equal(fx->cfg.syslog.port, "5514");
    expect_ok(fx, parse(fx, "[syslog]\ntarget = udp://[2001:db8::7]\n"));
    assert_string_equal(fx->cfg.syslog.host, "2001:db8::7");
    assert_string_equal(fx->cfg.syslog.port, "514");
}

static void test_syslog_ipv6_without_brackets_is_refused(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse(fx, "[syslog]\ntarget = udp://::1:514\n"),
                 "t.conf:2: [syslog] target: expected an IPv6 address in brackets, as in "
                 "[::1]:514");
}

static void test_syslog_bad_targets(void **state)
{
    struct fixture *fx = *state;
    static const char *const bad[] = {"syslog://h", "udp://",          "udp://h:0", "udp://h:99999",
                                      "tcp://[::1", "tls://[1.2.3.4]", "h:514",     "udp://h/x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[256], want[512];
        snprintf(text, sizeof(text), "[syslog]\ntarget = %s\n", bad[i]);
        snprintf(want, sizeof(want),
                 "t.conf:2: [syslog] target: expected udp://HOST[:PORT], tcp://HOST[:PORT] or "
                 "tls://HOST[:PORT], not '%s'",
                 bad[i]);
        expect_error(fx, parse(fx, text), want);
    }
}

static void test_facility_names(void **state)
{
    struct fixture *fx = *state;
    static const char *const names[24] = {
        "kern",   "user",   "mail",     "daemon", "auth",   "syslog",   "lpr",     "news",
        "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "security", "console", "solaris-cron",
        "local0", "local1", "local2",   "local3", "local4", "local5",   "local6",  "local7",
    };
    for (unsigned i = 0; i < 24; i++) {
        char line[64];
        snprintf(line, sizeof(line), "facility = %s", names[i]);
        expect_ok(fx, parse_with(fx, "syslog", line));
        assert_int_equal(fx->cfg.syslog.facility, i);
        assert_string_equal(cs_config_facility_name(i), names[i]);
    }
    assert_null(cs_config_facility_name(24));
}

static void test_facility_numbers(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse_with(fx, "syslog", "facility = 0"));
    assert_int_equal(fx->cfg.syslog.facility, 0);
    expect_ok(fx, parse_with(fx, "syslog", "facility = 23"));
    assert_int_equal(fx->cfg.syslog.facility, 23);
    assert_int_equal(parse_with(fx, "syslog", "facility = 24"), CS_ERR_USAGE);
    assert_non_null(strstr(fx->err, "t.conf:3: [syslog] facility: expected a facility name"));
    assert_non_null(strstr(fx->err, ", not '24'"));
    assert_int_equal(parse_with(fx, "syslog", "facility = local8"), CS_ERR_USAGE);
    assert_non_null(strstr(fx->err, ", not 'local8'"));
}

static void test_app_name_and_hostname_bounds(void **state)
{
    struct fixture *fx = *state;
    char line[512];

    snprintf(line, sizeof(line), "app_name = %.48s",
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV");
    expect_ok(fx, parse_with(fx, "syslog", line));
    assert_int_equal(strlen(fx->cfg.syslog.app_name), 48);
    strcat(line, "W");
    assert_int_equal(parse_with(fx, "syslog", line), CS_ERR_USAGE);
    assert_non_null(strstr(fx->err, "[syslog] app_name: expected 1 to 48 printable ASCII"));
    expect_error(fx, parse_with(fx, "syslog", "app_name = cert sweep"),
                 "t.conf:3: [syslog] app_name: expected 1 to 48 printable ASCII characters, no "
                 "spaces, not 'cert sweep'");
    expect_error(fx, parse_with(fx, "syslog", "app_name = caf\xc3\xa9"),
                 "t.conf:3: [syslog] app_name: expected 1 to 48 printable ASCII characters, no "
                 "spaces, not 'caf?"
                 "?'");

    memset(line, 0, sizeof(line));
    strcpy(line, "hostname = ");
    memset(line + strlen(line), 'h', 255);
    /* libinih's line buffer is smaller than that: the line itself is refused. */
    assert_int_equal(parse_with(fx, "syslog", line), CS_ERR_USAGE);
    assert_non_null(strstr(fx->err, "t.conf:3: line longer than"));
    expect_ok(fx, parse_with(fx, "syslog", "hostname = h-1.example"));
    assert_string_equal(fx->cfg.syslog.hostname, "h-1.example");
}

/* ---- syntax ----------------------------------------------------------------- */

static void test_bad_value_names_file_line_section_key_and_value(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx,
                 parse(fx, "# certsweep\n\n[smtp]\nurl = smtp://h\nfrom = a@b\n\n"
                           "starttls = maybe\n"),
                 "t.conf:7: [smtp] starttls: expected required or none, not 'maybe'");
}

static void test_unknown_key_lists_the_valid_keys(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse_with(fx, "smtp", "pasword = x"),
                 "t.conf:4: [smtp] unknown key 'pasword'; valid keys: url, starttls, from, "
                 "username, password, password_file, ca_file, timeout");
    expect_error(fx, parse_with(fx, "syslog", "port = 514"),
                 "t.conf:3: [syslog] unknown key 'port'; valid keys: target, facility, app_name, "
                 "hostname, ca_file, timeout");
    expect_error(fx, parse_with(fx, "outbox", "Max_Attempts = 3"),
                 "t.conf:2: [outbox] unknown key 'Max_Attempts'; valid keys: max_attempts, "
                 "retry_min, retry_max");
}

static void test_unknown_section_names_its_line(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse(fx, "[smtp]\nurl = smtp://h\nfrom = a@b\n[email]\n"),
                 "t.conf:4: unknown section [email]; valid sections: [smtp], [syslog], [outbox], "
                 "[certsweep], [serve], [ticketing.NAME], [webhook.NAME]");
}

static void test_empty_unknown_section_is_refused(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse(fx, "; only a header\n[mail]\n"),
                 "t.conf:2: unknown section [mail]; valid sections: [smtp], [syslog], [outbox], "
                 "[certsweep], [serve], [ticketing.NAME], [webhook.NAME]");
}

static void test_duplicate_key_is_refused(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse_with(fx, "smtp", "url = smtp://other"),
                 "t.conf:4: [smtp] url given twice (first at line 2)");
}

static void test_duplicate_section_is_refused(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse(fx, "[outbox]\nmax_attempts = 2\n[outbox]\nretry_min = 5\n"),
                 "t.conf:3: [outbox] given twice (first at line 1)");
}

static void test_missing_required_key_names_the_section(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse(fx, "\n[smtp]\nfrom = a@b\n"),
                 "t.conf:2: [smtp] needs url (smtp://HOST[:PORT] or smtps://HOST[:PORT])");
    expect_error(fx, parse(fx, "[smtp]\nurl = smtp://h\n"),
                 "t.conf:1: [smtp] needs from (an address like certsweep@example.com)");
    expect_error(fx, parse(fx, "[outbox]\n[syslog]\n"),
                 "t.conf:2: [syslog] needs target (udp://HOST[:PORT], tcp://HOST[:PORT] or "
                 "tls://HOST[:PORT])");
}

static void test_key_outside_a_section_is_refused(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse(fx, "url = smtp://h\n[smtp]\n"),
                 "t.conf:1: 'url' is outside any section: start with [smtp], [syslog], [outbox], "
                 "[certsweep], [serve], [ticketing.NAME] or [webhook.NAME]");
}

static void test_line_without_equals_names_its_line(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse(fx, "[outbox]\nmax_attempts = 3\nretry_min\n"),
                 "t.conf:3: expected [section] or key = value");
    expect_error(fx, parse(fx, "[outbox\n"), "t.conf:1: expected a section header like [smtp]");
    expect_error(fx, parse(fx, "[outbox] max_attempts = 3\n"),
                 "t.conf:1: expected a section header like [smtp]");
}

static void test_empty_value_is_refused(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse_with(fx, "smtp", "username ="),
                 "t.conf:4: [smtp] username: expected a user name of 1 to 255 characters, not ''");
}

static void test_comments(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse(fx, "; semicolon\n# hash\n  ; indented\n[outbox] ; inline\n"
                            "max_attempts = 4 ; inline after a value\n"
                            "retry_min = 7\t; after a tab\n"));
    assert_int_equal(fx->cfg.outbox.max_attempts, 4);
    assert_int_equal(fx->cfg.outbox.retry_min_s, 7);
}

static void test_semicolon_inside_a_value_is_kept(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse_with(fx, "smtp", "password = a;b#c"));
    assert_string_equal(fx->cfg.smtp.password, "a;b#c");
}

static void test_hash_after_a_value_is_not_a_comment(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse_with(fx, "outbox", "max_attempts = 3 # three"),
                 "t.conf:2: [outbox] max_attempts: expected a number from 1 to 1000, not '3 # "
                 "three'");
}

static void test_indented_lines_are_keys_not_continuations(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse(fx, "[smtp]\n    url = smtp://h\n    from = a@b\n\tusername = u\n"));
    assert_string_equal(fx->cfg.smtp.url, "smtp://h");
    assert_string_equal(fx->cfg.smtp.from, "a@b");
    assert_string_equal(fx->cfg.smtp.username, "u");
}

static void test_crlf_and_bom(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse(fx, "\xEF\xBB\xBF[smtp]\r\nurl = smtp://h\r\nfrom = a@b\r\n"));
    assert_string_equal(fx->cfg.smtp.url, "smtp://h");
    assert_string_equal(fx->cfg.smtp.from, "a@b");
}

static void test_spaced_section_header(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse(fx, "[ outbox ]\nmax_attempts=2\n"));
    assert_int_equal(fx->cfg.outbox.max_attempts, 2);
}

static void test_no_final_newline(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse(fx, "[outbox]\nmax_attempts = 2"));
    assert_int_equal(fx->cfg.outbox.max_attempts, 2);
}

static void test_long_line_is_refused_with_its_number(void **state)
{
    struct fixture *fx = *state;
    char text[1024];
    int n = snprintf(text, sizeof(text), "[smtp]\nurl = smtp://h\nfrom = a@b\nusername = ");
    memset(text + n, 'u', 400);
    text[n + 400] = '\0';
    assert_int_equal(parse(fx, text), CS_ERR_USAGE);
    assert_non_null(strstr(fx->err, "t.conf:4: line longer than "));
}

static void test_long_bad_value_is_shortened_in_the_message(void **state)
{
    struct fixture *fx = *state;
    char line[256] = "starttls = ";
    memset(line + strlen(line), 'x', 150);
    assert_int_equal(parse_with(fx, "smtp", line), CS_ERR_USAGE);
    assert_non_null(strstr(fx->err, "...'"));
    assert_true(strlen(fx->err) < 160);
}

/* ---- secrets -------------------------------------------------------------- */

static void test_secret_from_the_key(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse_with(fx, "smtp", "password = " SECRET));
    assert_string_equal(fx->cfg.smtp.password, SECRET);
    assert_string_equal(fx->cfg.smtp.password_source, "password");
}

static void test_secret_from_a_file_is_its_first_line(void **state)
{
    struct fixture *fx = *state;
    char line[PATH_MAX + 32];
    snprintf(line, sizeof(line), "password_file = %s",
             write_file(fx, "pw", SECRET "\nsecond line\n", 0600));
    expect_ok(fx, parse_with(fx, "smtp", line));
    assert_string_equal(fx->cfg.smtp.password, SECRET);
    assert_string_equal(fx->cfg.smtp.password_source, "password_file");

    snprintf(line, sizeof(line), "password_file = %s", write_file(fx, "pw2", SECRET "\r\n", 0600));
    expect_ok(fx, parse_with(fx, "smtp", line));
    assert_string_equal(fx->cfg.smtp.password, SECRET);

    snprintf(line, sizeof(line), "password_file = %s", write_file(fx, "pw3", SECRET, 0600));
    expect_ok(fx, parse_with(fx, "smtp", line));
    assert_string_equal(fx->cfg.smtp.password, SECRET);
}

static void test_secret_file_with_an_empty_first_line_is_refused(void **state)
{
    struct fixture *fx = *state;
    char line[PATH_MAX + 32];
    snprintf(line, sizeof(line), "password_file = %s", write_file(fx, "pw", "\n" SECRET, 0600));
    assert_int_equal(parse_with(fx, "smtp", line), CS_ERR_USAGE);
    assert_non_null(strstr(fx->err, "t.conf:4: [smtp] password_file: the first line of"));
    assert_null(strstr(fx->err, SECRET));
}

static void test_missing_secret_file_names_it(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(parse_with(fx, "smtp", "password_file = /nonexistent/pw"), CS_ERR_IO);
    assert_string_equal(fx->err, "t.conf:4: [smtp] password_file: cannot read '/nonexistent/pw': "
                                 "No such file or directory");
}

static void test_secret_from_the_environment_comes_first(void **state)
{
    struct fixture *fx = *state;
    char line[PATH_MAX + 32];
    setenv("CERTSWEEP_SMTP_PASSWORD", "from-env", 1);
    expect_ok(fx, parse_with(fx, "smtp", "password = " SECRET));
    assert_string_equal(fx->cfg.smtp.password, "from-env");
    assert_string_equal(fx->cfg.smtp.password_source, "CERTSWEEP_SMTP_PASSWORD");

    snprintf(line, sizeof(line), "password_file = %s", write_file(fx, "pw", SECRET "\n", 0600));
    expect_ok(fx, parse_with(fx, "smtp", line));
    assert_string_equal(fx->cfg.smtp.password, "from-env");

    expect_ok(fx, parse(fx, smtp_ok));
    assert_string_equal(fx->cfg.smtp.password, "from-env");
}

static void test_empty_environment_secret_is_ignored(void **state)
{
    struct fixture *fx = *state;
    setenv("CERTSWEEP_SMTP_PASSWORD", "", 1);
    expect_ok(fx, parse_with(fx, "smtp", "password = " SECRET));
    assert_string_equal(fx->cfg.smtp.password, SECRET);
    assert_string_equal(fx->cfg.smtp.password_source, "password");
}

static void test_environment_secret_needs_an_smtp_section(void **state)
{
    struct fixture *fx = *state;
    setenv("CERTSWEEP_SMTP_PASSWORD", "from-env", 1);
    expect_ok(fx, parse(fx, "[outbox]\n"));
    assert_null(fx->cfg.smtp.password);
}

static void test_secret_file_comes_before_the_key_but_both_is_an_error(void **state)
{
    struct fixture *fx = *state;
    char text[PATH_MAX + 256];
    snprintf(text, sizeof(text), "%spassword = " SECRET "\npassword_file = %s\n", smtp_ok,
             write_file(fx, "pw", "other\n", 0600));
    expect_error(fx, parse(fx, text),
                 "t.conf:5: [smtp] password and password_file are both set; keep one");
}

static void test_secret_never_appears_in_messages(void **state)
{
    struct fixture *fx = *state;
    char pwfile[PATH_MAX + 64];
    snprintf(pwfile, sizeof(pwfile), "%s", write_file(fx, "pw", SECRET "\n", 0600));
    const char *bad[] = {
        "[smtp]\nurl = smtp://h\nfrom = a@b\npassword = " SECRET "\nstarttls = maybe\n",
        "[smtp]\nurl = smtp://h\nfrom = a@b\npassword = " SECRET "\npassword = " SECRET "\n",
        "[smtp]\nurl = smtp://h\nfrom = a@b\n" SECRET "\n",
        "[smtp]\nurl = smtp://h\nfrom = a@b\npassword = \x01" SECRET "\n",
        "[smtp]\nurl = smtp://h\nfrom = a@b\npassword = " SECRET "\n[" SECRET "\n",
        "password = " SECRET "\n",
        "[smtp]\npassword = " SECRET "\n",
        "[smtp]\nurl = smtp://" SECRET "@h\nfrom = a@b\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_not_equal(parse(fx, bad[i]), CS_OK);
        assert_true(fx->err[0] != '\0');
        if (strstr(fx->err, SECRET) != NULL)
            fail_msg("case %zu leaks the secret: %s", i, fx->err);
    }

    char text[PATH_MAX + 256];
    snprintf(text, sizeof(text), "%spassword_file = %s\npassword = x\n", smtp_ok, pwfile);
    assert_int_equal(parse(fx, text), CS_ERR_USAGE);
    assert_null(strstr(fx->err, SECRET));
}

static void test_secret_value_is_called_the_value(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse_with(fx, "smtp", "password = \x01" SECRET),
                 "t.conf:4: [smtp] password: expected a password of 1 to 1024 characters, not "
                 "the value");
}

/* ---- files and permissions ------------------------------------------------- */

static void test_world_readable_file_with_a_password_is_refused(void **state)
{
    struct fixture *fx = *state;
    const char *path = write_file(
        fx, "certsweep.conf", "[smtp]\nurl = smtp://h\nfrom = a@b\npassword = " SECRET "\n", 0644);
    char want[PATH_MAX + 256];
    snprintf(want, sizeof(want),
             "%s:4: [smtp] password: the file holds this secret but is readable by others (mode "
             "0644); chmod 600 it or use password_file",
             path);
    expect_error(fx, cs_config_load(path, &fx->cfg, fx->err, sizeof(fx->err)), want);
    assert_null(strstr(fx->err, SECRET));
}

static void test_world_readable_file_with_a_webhook_url_is_refused(void **state)
{
    struct fixture *fx = *state;
    const char *path = write_file(
        fx, "certsweep.conf",
        "[webhook.chat]\ntype = slack\nurl = https://hooks.slack.com/services/" SECRET "\n", 0644);
    char want[PATH_MAX + 256];
    snprintf(want, sizeof(want),
             "%s:3: [webhook.chat] url: the file holds a webhook URL, which is a credential, but "
             "is readable by others (mode 0644); chmod 600 it",
             path);
    expect_error(fx, cs_config_load(path, &fx->cfg, fx->err, sizeof(fx->err)), want);
    assert_null(strstr(fx->err, SECRET));
}

static void test_group_readable_file_with_a_password_is_refused(void **state)
{
    struct fixture *fx = *state;
    const char *path = write_file(
        fx, "certsweep.conf", "[smtp]\nurl = smtp://h\nfrom = a@b\npassword = " SECRET "\n", 0640);
    assert_int_equal(cs_config_load(path, &fx->cfg, fx->err, sizeof(fx->err)), CS_ERR_USAGE);
    assert_non_null(strstr(fx->err, "(mode 0640)"));
}

static void test_private_file_with_a_password_is_read(void **state)
{
    struct fixture *fx = *state;
    const char *path = write_file(
        fx, "certsweep.conf", "[smtp]\nurl = smtp://h\nfrom = a@b\npassword = " SECRET "\n", 0600);
    expect_ok(fx, cs_config_load(path, &fx->cfg, fx->err, sizeof(fx->err)));
    assert_string_equal(fx->cfg.smtp.password, SECRET);
    assert_string_equal(fx->cfg.path, path);
}

static void test_world_readable_file_without_secrets_is_read(void **state)
{
    struct fixture *fx = *state;
    const char *path = write_file(fx, "certsweep.conf", smtp_ok, 0644);
    expect_ok(fx, cs_config_load(path, &fx->cfg, fx->err, sizeof(fx->err)));
    assert_true(fx->cfg.smtp.configured);
}

static void test_secret_file_readable_by_others_is_refused(void **state)
{
    struct fixture *fx = *state;
    char pw[PATH_MAX + 64], text[PATH_MAX + 256], want[2 * PATH_MAX];
    snprintf(pw, sizeof(pw), "%s", write_file(fx, "pw", SECRET "\n", 0604));
    snprintf(text, sizeof(text), "%spassword_file = %s\n", smtp_ok, pw);
    const char *path = write_file(fx, "certsweep.conf", text, 0644);
    snprintf(want, sizeof(want),
             "%s:4: [smtp] password_file: '%s' is readable by others (mode 0604); chmod 600 it",
             path, pw);
    expect_error(fx, cs_config_load(path, &fx->cfg, fx->err, sizeof(fx->err)), want);
}

static void test_secret_file_readable_by_others_is_not_checked_by_parse(void **state)
{
    struct fixture *fx = *state;
    char line[PATH_MAX + 32];
    snprintf(line, sizeof(line), "password_file = %s", write_file(fx, "pw", SECRET "\n", 0644));
    expect_ok(fx, parse_with(fx, "smtp", line));
    assert_string_equal(fx->cfg.smtp.password, SECRET);
}

static void test_secret_file_is_not_read_when_the_environment_has_it(void **state)
{
    struct fixture *fx = *state;
    char text[PATH_MAX + 256];
    snprintf(text, sizeof(text), "%spassword_file = /nonexistent/pw\n", smtp_ok);
    const char *path = write_file(fx, "certsweep.conf", text, 0600);
    setenv("CERTSWEEP_SMTP_PASSWORD", "from-env", 1);
    expect_ok(fx, cs_config_load(path, &fx->cfg, fx->err, sizeof(fx->err)));
    assert_string_equal(fx->cfg.smtp.password, "from-env");
}

static void test_load_error_names_the_file_and_line(void **state)
{
    struct fixture *fx = *state;
    const char *path = write_file(fx, "certsweep.conf", "[outbox]\n\nretry_min = soon\n", 0600);
    char want[PATH_MAX + 256];
    snprintf(want, sizeof(want),
             "%s:3: [outbox] retry_min: expected seconds from 1 to 86400, not 'soon'", path);
    expect_error(fx, cs_config_load(path, &fx->cfg, fx->err, sizeof(fx->err)), want);
}

static void test_missing_default_file_is_an_empty_configuration(void **state)
{
    struct fixture *fx = *state;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/none.conf", fx->dir);
    setenv("CERTSWEEP_CONFIG", path, 1);
    expect_ok(fx, cs_config_load(NULL, &fx->cfg, fx->err, sizeof(fx->err)));
    assert_null(fx->cfg.path);
    assert_false(fx->cfg.smtp.configured);
    assert_false(fx->cfg.syslog.configured);
    assert_int_equal(fx->cfg.outbox.max_attempts, 10);
    assert_int_equal(fx->cfg.outbox.retry_min_s, 60);
    assert_int_equal(fx->cfg.outbox.retry_max_s, 21600);
}

static void test_default_file_is_read(void **state)
{
    struct fixture *fx = *state;
    setenv("CERTSWEEP_CONFIG", write_file(fx, "c.conf", "[outbox]\nmax_attempts = 2\n", 0644), 1);
    expect_ok(fx, cs_config_load(NULL, &fx->cfg, fx->err, sizeof(fx->err)));
    assert_int_equal(fx->cfg.outbox.max_attempts, 2);
    assert_string_equal(fx->cfg.path, getenv("CERTSWEEP_CONFIG"));
}

static void test_missing_explicit_file_is_an_error(void **state)
{
    struct fixture *fx = *state;
    char path[PATH_MAX + 64], want[PATH_MAX + 128];
    snprintf(path, sizeof(path), "%s/none.conf", fx->dir);
    snprintf(want, sizeof(want), "%s: No such file or directory", path);
    assert_int_equal(cs_config_load(path, &fx->cfg, fx->err, sizeof(fx->err)), CS_ERR_IO);
    assert_string_equal(fx->err, want);
}

static void test_directory_is_not_a_configuration_file(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(cs_config_load(fx->dir, &fx->cfg, fx->err, sizeof(fx->err)), CS_ERR_IO);
    assert_non_null(strstr(fx->err, "not a regular file"));
}

static void test_nul_byte_in_the_file_is_refused(void **state)
{
    struct fixture *fx = *state;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/nul.conf", fx->dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fwrite("[outbox]\nmax\0_attempts = 3\n", 1, 27, f);
    fclose(f);
    assert_int_equal(cs_config_load(path, &fx->cfg, fx->err, sizeof(fx->err)), CS_ERR_USAGE);
    assert_non_null(strstr(fx->err, ":2: a NUL byte"));
}

/* ---- [certsweep] ------------------------------------------------------------ */

static void test_certsweep_url_is_the_public_url(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse(fx, "[certsweep]\nurl = https://certsweep.example:8443\n"));
    assert_string_equal(fx->cfg.public_url, "https://certsweep.example:8443");
    expect_ok(fx, parse(fx, "[certsweep]\nurl = http://10.0.0.5/certsweep/\n"));
    assert_string_equal(fx->cfg.public_url, "http://10.0.0.5/certsweep/");
}

static void test_public_url_defaults_to_the_hostname(void **state)
{
    struct fixture *fx = *state;
    char host[256] = "";
    gethostname(host, sizeof(host) - 1);
    expect_ok(fx, parse(fx, ""));
    assert_string_equal(fx->cfg.public_url, host);
    expect_ok(fx, parse(fx, "[certsweep]\n"));
    assert_string_equal(fx->cfg.public_url, host);
}

static void test_certsweep_url_must_be_http_or_https(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse(fx, "[certsweep]\nurl = ftp://h\n"),
                 "t.conf:2: [certsweep] url: expected http://HOST[:PORT][/PATH] or https://..., "
                 "without user, query or fragment, not 'ftp://h'");
    expect_error(fx, parse(fx, "[certsweep]\nkey = v\n"),
                 "t.conf:2: [certsweep] unknown key 'key'; valid keys: url");
}

/* ---- [ticketing.NAME] and [webhook.NAME]: each type ------------------------- */

static const char sdp_ok[] = "[ticketing.sdp]\n"
                             "type = servicedeskplus\n"
                             "url = https://sdp.example.com:8080\n"
                             "authtoken = " SECRET "\n";

static const char sn_ok[] = "[ticketing.sn]\n"
                            "type = servicenow\n"
                            "url = https://acme.service-now.com\n"
                            "username = certsweep\n"
                            "password = " SECRET "\n";

static const char jira_ok[] = "[ticketing.jira]\n"
                              "type = jira\n"
                              "url = https://acme.atlassian.net\n"
                              "project = OPS\n"
                              "email = bot@example.com\n"
                              "api_token = " SECRET "\n";

/* Parses `base` plus one line. */
static enum cs_rc parse_plus(struct fixture *fx, const char *base, const char *line)
{
    char text[16384];
    snprintf(text, sizeof(text), "%s%s\n", base, line);
    return parse(fx, text);
}

static void test_servicedeskplus_with_an_authtoken(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse(fx, sdp_ok));
    assert_int_equal(fx->cfg.nremotes, 1);
    const struct cs_remote_config *r = &fx->cfg.remotes[0];
    assert_string_equal(r->channel, "ticketing.sdp");
    assert_string_equal(r->name, "sdp");
    assert_false(r->is_webhook);
    assert_int_equal(r->type, CS_REMOTE_SERVICEDESKPLUS);
    assert_string_equal(r->url, "https://sdp.example.com:8080");
    assert_string_equal(r->authtoken, SECRET);
    assert_string_equal(r->auth, "authtoken");
    assert_null(r->ca_file);
    assert_int_equal(r->timeout_ms, 30000);
    assert_true(r->close_resolved);
    assert_null(r->oauth_token_url);
    assert_null(r->requester);
    assert_null(r->table);
}

static void test_servicedeskplus_optional_fields(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse_plus(fx, sdp_ok,
                             "requester = Certificate Bot\npriority = High\ncategory = Security\n"
                             "technician_group = PKI team"));
    const struct cs_remote_config *r = &fx->cfg.remotes[0];
    assert_string_equal(r->requester, "Certificate Bot");
    assert_string_equal(r->priority, "High");
    assert_string_equal(r->category, "Security");
    assert_null(r->snow_category);
    assert_string_equal(r->technician_group, "PKI team");
}

static void test_servicedeskplus_cloud_oauth_defaults_the_token_url(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse(fx, "[ticketing.sdp]\ntype = servicedeskplus\n"
                            "url = https://sdpondemand.manageengine.com\n"
                            "oauth_client_id = 1000.ABC\noauth_client_secret = " SECRET "\n"
                            "oauth_refresh_token = refresh-" SECRET "\n"));
    const struct cs_remote_config *r = &fx->cfg.remotes[0];
    assert_string_equal(r->auth, "oauth");
    assert_string_equal(r->oauth_client_id, "1000.ABC");
    assert_string_equal(r->oauth_client_secret, SECRET);
    assert_string_equal(r->oauth_refresh_token, "refresh-" SECRET);
    assert_string_equal(r->oauth_token_url, "https://accounts.zoho.com/oauth/v2/token");
    assert_null(r->authtoken);

    expect_ok(fx, parse(fx, "[ticketing.sdp]\ntype = servicedeskplus\nurl = https://h\n"
                            "oauth_client_id = c\noauth_client_secret = s\n"
                            "oauth_refresh_token = r\n"
                            "oauth_token_url = https://accounts.zoho.eu/oauth/v2/token\n"));
    assert_string_equal(fx->cfg.remotes[0].oauth_token_url,
                        "https://accounts.zoho.eu/oauth/v2/token");
}

static void test_servicenow_basic_auth_and_defaults(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse(fx, sn_ok));
    const struct cs_remote_config *r = &fx->cfg.remotes[0];
    assert_int_equal(r->type, CS_REMOTE_SERVICENOW);
    assert_string_equal(r->auth, "basic");
    assert_string_equal(r->username, "certsweep");
    assert_string_equal(r->password, SECRET);
    assert_string_equal(r->table, "incident");
    assert_null(r->oauth_token_url);
    assert_null(r->urgency);
    assert_true(r->close_resolved);
}

static void test_servicenow_fields(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse_plus(fx, sn_ok,
                             "caller_id = certsweep.bot\nassignment_group = PKI\n"
                             "category = security\nurgency = 2\nimpact = 03\n"
                             "table = u_cert_incident\nclose_resolved = no"));
    const struct cs_remote_config *r = &fx->cfg.remotes[0];
    assert_string_equal(r->caller_id, "certsweep.bot");
    assert_string_equal(r->assignment_group, "PKI");
    assert_string_equal(r->snow_category, "security");
    assert_null(r->category);
    assert_string_equal(r->urgency, "2");
    assert_string_equal(r->impact, "3");
    assert_string_equal(r->table, "u_cert_incident");
    assert_false(r->close_resolved);
}

static void test_servicenow_urgency_and_impact_are_1_to_3(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse_plus(fx, sn_ok, "urgency = 0"),
                 "t.conf:6: [ticketing.sn] urgency: expected 1, 2 or 3, not '0'");
    expect_error(fx, parse_plus(fx, sn_ok, "impact = high"),
                 "t.conf:6: [ticketing.sn] impact: expected 1, 2 or 3, not 'high'");
    expect_error(fx, parse_plus(fx, sn_ok, "urgency_critical = 4"),
                 "t.conf:6: [ticketing.sn] urgency_critical: expected 1, 2 or 3, not '4'");
}

static void test_priority_per_severity(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse_plus(fx, sn_ok, "urgency = 3\nurgency_critical = 1\nimpact_error = 2"));
    const struct cs_remote_config *r = &fx->cfg.remotes[0];
    assert_string_equal(cs_ticket_by_severity(r->urgency_by, r->urgency, "critical"), "1");
    assert_string_equal(cs_ticket_by_severity(r->urgency_by, r->urgency, "warning"), "3");
    assert_string_equal(cs_ticket_by_severity(r->impact_by, r->impact, "error"), "2");
    assert_null(cs_ticket_by_severity(r->impact_by, r->impact, "info"));
    assert_string_equal(cs_ticket_by_severity(r->urgency_by, r->urgency, NULL), "3");
}

static void test_servicenow_table_is_a_name(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse_plus(fx, sn_ok, "table = incident/../sys_user"),
                 "t.conf:6: [ticketing.sn] table: expected a table name of 1 to 80 characters "
                 "from A-Z, a-z, 0-9, _, . and -, not 'incident/../sys_user'");
}

static void test_servicenow_oauth_token_url_defaults_to_the_instance(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx,
              parse(fx, "[ticketing.sn]\ntype = servicenow\nurl = https://acme.service-now.com/\n"
                        "oauth_client_id = c\noauth_client_secret = " SECRET "\n"
                        "oauth_refresh_token = r\n"));
    const struct cs_remote_config *r = &fx->cfg.remotes[0];
    assert_string_equal(r->auth, "oauth");
    assert_string_equal(r->oauth_token_url, "https://acme.service-now.com/oauth_token.do");
    assert_null(r->username);
    assert_null(r->password);
}

static void test_jira_cloud_with_email_and_api_token(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse(fx, jira_ok));
    const struct cs_remote_config *r = &fx->cfg.remotes[0];
    assert_int_equal(r->type, CS_REMOTE_JIRA);
    assert_string_equal(r->auth, "api_token");
    assert_string_equal(r->project, "OPS");
    assert_string_equal(r->email, "bot@example.com");
    assert_string_equal(r->api_token, SECRET);
    assert_null(r->pat);
    assert_string_equal(r->issuetype, "Task");
    assert_string_equal(r->done_transition, "Done");
}

static void test_jira_data_center_with_a_pat(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse(fx, "[ticketing.jira]\ntype = jira\nurl = https://jira.example.com\n"
                            "project = PKI\npat = " SECRET "\nissuetype = Bug\n"
                            "done_transition = Resolve Issue\n"));
    const struct cs_remote_config *r = &fx->cfg.remotes[0];
    assert_string_equal(r->auth, "pat");
    assert_string_equal(r->pat, SECRET);
    assert_null(r->email);
    assert_string_equal(r->issuetype, "Bug");
    assert_string_equal(r->done_transition, "Resolve Issue");
}

static void test_jira_needs_a_project(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse(fx, "\n[ticketing.jira]\ntype = jira\nurl = https://j\npat = x\n"),
                 "t.conf:2: [ticketing.jira] needs project (a project key like OPS)");
}

static void test_pagerduty_url_defaults_to_events_v2(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse(fx, "[webhook.pd]\ntype = pagerduty\nrouting_key = " SECRET "\n"));
    const struct cs_remote_config *r = &fx->cfg.remotes[0];
    assert_string_equal(r->channel, "webhook.pd");
    assert_true(r->is_webhook);
    assert_int_equal(r->type, CS_REMOTE_PAGERDUTY);
    assert_string_equal(r->url, "https://events.pagerduty.com/v2/enqueue");
    assert_string_equal(r->routing_key, SECRET);
    assert_string_equal(r->auth, "routing_key");
    assert_false(r->close_resolved);

    expect_ok(fx, parse(fx, "[webhook.pd]\ntype = pagerduty\nrouting_key = k\n"
                            "url = http://127.0.0.1:8081/v2/enqueue\n"));
    assert_string_equal(fx->cfg.remotes[0].url, "http://127.0.0.1:8081/v2/enqueue");
}

static void test_slack_and_teams_need_a_url_and_no_auth(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx,
              parse(fx,
                    "[webhook.chat]\ntype = slack\n"
                    "url = https://hooks.slack.com/services/T0/B0/xyz\n"
                    "[webhook.teams]\ntype = teams\nurl = https://example.webhook.office.com/x\n"));
    assert_int_equal(fx->cfg.nremotes, 2);
    assert_int_equal(fx->cfg.remotes[0].type, CS_REMOTE_SLACK);
    assert_null(fx->cfg.remotes[0].auth);
    assert_int_equal(fx->cfg.remotes[1].type, CS_REMOTE_TEAMS);
    expect_error(fx, parse(fx, "[webhook.chat]\ntype = slack\n"),
                 "t.conf:1: [webhook.chat] needs url (http://HOST[:PORT][/PATH][?QUERY] or "
                 "https://..., without user or fragment)");
    expect_error(fx, parse(fx, "[webhook.chat]\ntype = teams\nurl = https://h\nrouting_key = k\n"),
                 "t.conf:4: [webhook.chat] 'routing_key' is not a key of type teams; its keys are "
                 "type, url, ca_file, timeout");
}

static void test_generic_webhook_with_and_without_a_bearer_token(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse(fx, "[webhook.hook]\ntype = generic\nurl = https://h.example/hook\n"));
    assert_null(fx->cfg.remotes[0].auth);
    assert_null(fx->cfg.remotes[0].bearer_token);
    expect_ok(fx, parse(fx, "[webhook.hook]\ntype = generic\nurl = https://h.example/hook\n"
                            "bearer_token = " SECRET "\n"));
    assert_string_equal(fx->cfg.remotes[0].auth, "bearer_token");
    assert_string_equal(fx->cfg.remotes[0].bearer_token, SECRET);
}

static void test_several_sections_of_each_kind_in_file_order(void **state)
{
    struct fixture *fx = *state;
    char text[4096];
    snprintf(text, sizeof(text),
             "%s%s%s[webhook.sdp]\ntype = generic\nurl = https://h\n"
             "[webhook.pd]\ntype = pagerduty\nrouting_key = k\n",
             sdp_ok, sn_ok, jira_ok);
    expect_ok(fx, parse(fx, text));
    assert_int_equal(fx->cfg.nremotes, 5);
    assert_string_equal(fx->cfg.remotes[0].channel, "ticketing.sdp");
    assert_string_equal(fx->cfg.remotes[1].channel, "ticketing.sn");
    assert_string_equal(fx->cfg.remotes[2].channel, "ticketing.jira");
    assert_string_equal(fx->cfg.remotes[3].channel, "webhook.sdp");
    assert_string_equal(fx->cfg.remotes[4].channel, "webhook.pd");
    assert_ptr_equal(cs_config_remote(&fx->cfg, false, "sdp"), &fx->cfg.remotes[0]);
    assert_ptr_equal(cs_config_remote(&fx->cfg, true, "sdp"), &fx->cfg.remotes[3]);
    assert_ptr_equal(cs_config_remote(&fx->cfg, false, "jira"), &fx->cfg.remotes[2]);
    assert_null(cs_config_remote(&fx->cfg, true, "jira"));
    assert_null(cs_config_remote(&fx->cfg, false, "pd"));
    assert_null(cs_config_remote(&fx->cfg, false, "nope"));
}

static void test_config_remote_on_an_empty_configuration(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse(fx, smtp_ok));
    assert_int_equal(fx->cfg.nremotes, 0);
    assert_null(fx->cfg.remotes);
    assert_null(cs_config_remote(&fx->cfg, false, "sdp"));
}

static void test_type_may_come_after_other_keys(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse(fx, "[ticketing.sn]\nurl = https://acme.service-now.com\n"
                            "category = network\nusername = u\npassword = p\n"
                            "type = servicenow\nurgency = 1\n"));
    const struct cs_remote_config *r = &fx->cfg.remotes[0];
    assert_int_equal(r->type, CS_REMOTE_SERVICENOW);
    assert_string_equal(r->snow_category, "network");
    assert_null(r->category);
    assert_string_equal(r->urgency, "1");
}

static void test_bad_value_before_the_type_is_reported_at_its_line(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse(fx, "[ticketing.sn]\nurl = https://h\ntimeout = 0\ntype = servicenow\n"),
                 "t.conf:3: [ticketing.sn] timeout: expected seconds from 1 to 600, not '0'");
}

static void test_type_is_not_case_sensitive(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse(fx, "[webhook.pd]\ntype = PagerDuty\nrouting_key = k\n"));
    assert_int_equal(fx->cfg.remotes[0].type, CS_REMOTE_PAGERDUTY);
}

static void test_close_resolved_is_yes_or_no(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse_plus(fx, sdp_ok, "close_resolved = yes"));
    assert_true(fx->cfg.remotes[0].close_resolved);
    expect_ok(fx, parse_plus(fx, sdp_ok, "close_resolved = NO"));
    assert_false(fx->cfg.remotes[0].close_resolved);
    expect_error(fx, parse_plus(fx, sdp_ok, "close_resolved = maybe"),
                 "t.conf:5: [ticketing.sdp] close_resolved: expected yes or no, not 'maybe'");
}

static void test_close_resolved_is_not_a_webhook_key(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(parse(fx, "[webhook.pd]\ntype = pagerduty\nclose_resolved = no\n"),
                     CS_ERR_USAGE);
    assert_non_null(
        strstr(fx->err, "t.conf:3: [webhook.pd] 'close_resolved' is not a key of type pagerduty"));
}

static void test_remote_timeout_and_ca_file(void **state)
{
    struct fixture *fx = *state;
    const char *ca = write_file(fx, "ca.pem", "-----BEGIN CERTIFICATE-----\n", 0644);
    char line[PATH_MAX + 64];
    snprintf(line, sizeof(line), "timeout = 600\nca_file = %s", ca);
    expect_ok(fx, parse_plus(fx, sdp_ok, line));
    assert_int_equal(fx->cfg.remotes[0].timeout_ms, 600000);
    assert_string_equal(fx->cfg.remotes[0].ca_file, ca);
    expect_error(fx, parse_plus(fx, sdp_ok, "timeout = 601"),
                 "t.conf:5: [ticketing.sdp] timeout: expected seconds from 1 to 600, not '601'");
    expect_error(fx, parse_plus(fx, sdp_ok, "ca_file = /nonexistent/ca.pem"),
                 "t.conf:5: [ticketing.sdp] ca_file: cannot read '/nonexistent/ca.pem': No such "
                 "file or directory");
}

/* ---- named sections: errors ---------------------------------------------------- */

static void test_named_section_needs_a_type(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse(fx, "[ticketing.sdp]\nurl = https://h\n"),
                 "t.conf:1: [ticketing.sdp] needs type (servicedeskplus, servicenow or jira)");
    expect_error(fx, parse(fx, "[webhook.x]\n[outbox]\n"),
                 "t.conf:1: [webhook.x] needs type (pagerduty, slack, teams or generic)");
}

static void test_unknown_type_lists_the_types(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse(fx, "[ticketing.t]\ntype = otrs\n"),
                 "t.conf:2: [ticketing.t] type: expected servicedeskplus, servicenow or jira, not "
                 "'otrs'");
    expect_error(fx, parse(fx, "[ticketing.t]\ntype = slack\n"),
                 "t.conf:2: [ticketing.t] type: expected servicedeskplus, servicenow or jira, not "
                 "'slack'");
    expect_error(fx, parse(fx, "[webhook.w]\ntype = jira\n"),
                 "t.conf:2: [webhook.w] type: expected pagerduty, slack, teams or generic, not "
                 "'jira'");
}

static void test_key_of_another_type_names_the_type_and_its_keys(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse_plus(fx, jira_ok, "caller_id = me"),
                 "t.conf:7: [ticketing.jira] 'caller_id' is not a key of type jira; its keys are "
                 "type, url, ca_file, timeout, close_resolved, priority, priority_critical, "
                 "priority_error, priority_warning, priority_info, project, issuetype, "
                 "done_transition, email, api_token, api_token_file, pat, pat_file");
    expect_error(fx, parse_plus(fx, sn_ok, "authtoken = x"),
                 "t.conf:6: [ticketing.sn] 'authtoken' is not a key of type servicenow; its keys "
                 "are type, url, ca_file, timeout, close_resolved, username, password, "
                 "password_file, caller_id, assignment_group, category, urgency, impact, "
                 "urgency_critical, urgency_error, urgency_warning, urgency_info, "
                 "impact_critical, impact_error, impact_warning, impact_info, table, "
                 "oauth_client_id, oauth_client_secret, oauth_client_secret_file, "
                 "oauth_refresh_token, oauth_refresh_token_file, oauth_token_url");
}

static void test_key_of_another_type_before_the_type_is_reported_at_its_line(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(parse(fx, "[ticketing.jira]\ncaller_id = me\ntype = jira\n"), CS_ERR_USAGE);
    assert_non_null(
        strstr(fx->err, "t.conf:2: [ticketing.jira] 'caller_id' is not a key of type jira;"));
}

static void test_unknown_key_in_a_named_section(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(parse_plus(fx, sdp_ok, "tecnician_group = x"), CS_ERR_USAGE);
    assert_non_null(strstr(fx->err, "t.conf:5: [ticketing.sdp] 'tecnician_group' is not a key of "
                                    "type servicedeskplus; its keys are type, url,"));
    assert_int_equal(parse(fx, "[ticketing.sdp]\nfoo = 1\nbar = 2\ntype = servicedeskplus\n"),
                     CS_ERR_USAGE);
    assert_non_null(strstr(fx->err, "t.conf:2: [ticketing.sdp] 'foo' is not a key"));
}

static void test_duplicate_named_section_is_refused(void **state)
{
    struct fixture *fx = *state;
    char text[4096];
    snprintf(text, sizeof(text), "%s%s", sdp_ok, sdp_ok);
    expect_error(fx, parse(fx, text), "t.conf:5: [ticketing.sdp] given twice (first at line 1)");
}

static void test_same_name_in_ticketing_and_webhook_is_allowed(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx,
              parse(fx, "[ticketing.ops]\ntype = jira\nurl = https://j\nproject = OPS\npat = p\n"
                        "[webhook.ops]\ntype = slack\nurl = https://hooks.slack.com/x\n"));
    assert_int_equal(fx->cfg.nremotes, 2);
}

static void test_section_name_is_1_to_32_of_a_z_0_9_underscore_dash(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse(fx, "[webhook.abcdefghijklmnopqrstuvwxyz_-0123]\ntype = slack\n"
                            "url = https://h\n"));
    assert_string_equal(fx->cfg.remotes[0].name, "abcdefghijklmnopqrstuvwxyz_-0123");
    static const char *const bad[] = {
        "", "Ops", "a.b", "a b", "abcdefghijklmnopqrstuvwxyz_-01234", "caf\xc3\xa9"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[256];
        snprintf(text, sizeof(text), "[webhook.%s]\ntype = slack\n", bad[i]);
        assert_int_equal(parse(fx, text), CS_ERR_USAGE);
        if (strstr(fx->err, "t.conf:1: [webhook.") == NULL ||
            strstr(fx->err, "expected a name of 1 to 32 characters from a-z, 0-9, _ and -") == NULL)
            fail_msg("name '%s': %s", bad[i], fx->err);
    }
}

static void test_named_section_without_a_name_is_refused(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse(fx, "[ticketing]\ntype = jira\n"),
                 "t.conf:1: [ticketing] needs a name, as in [ticketing.main]");
    expect_error(fx, parse(fx, "[smtp.x]\n"),
                 "t.conf:1: unknown section [smtp.x]; valid sections: [smtp], [syslog], [outbox], "
                 "[certsweep], [serve], [ticketing.NAME], [webhook.NAME]");
}

static void test_duplicate_key_in_a_named_section_is_refused(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse_plus(fx, sdp_ok, "type = jira"),
                 "t.conf:5: [ticketing.sdp] type given twice (first at line 2)");
    expect_error(fx, parse(fx, "[ticketing.sdp]\nurl = https://a\nurl = https://b\n"),
                 "t.conf:3: [ticketing.sdp] url given twice (first at line 2)");
}

static void test_too_many_named_sections_are_refused(void **state)
{
    struct fixture *fx = *state;
    size_t size = 65 * 64, n = 0;
    char *text = malloc(size);
    assert_non_null(text);
    for (int i = 0; i < 65; i++)
        n += (size_t)snprintf(text + n, size - n, "[webhook.w%d]\ntype = slack\nurl = https://h\n",
                              i);
    assert_int_equal(parse(fx, text), CS_ERR_USAGE);
    free(text);
    assert_string_equal(fx->err, "t.conf:193: more than 64 [ticketing.*] and [webhook.*] sections");
}

static void test_remote_url_is_required(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse(fx, "[ticketing.sdp]\ntype = servicedeskplus\nauthtoken = x\n"),
                 "t.conf:1: [ticketing.sdp] needs url (http://HOST[:PORT][/PATH] or https://..., "
                 "without user, query or fragment)");
}

static void test_remote_url_must_be_http_or_https(void **state)
{
    struct fixture *fx = *state;
    static const char *const bad[] = {"ftp://h",       "https://",    "https:///x",
                                      "h.example",     "https://h:0", "https://h:99999",
                                      "https://h/a b", "https://[::1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[256], want[512];
        snprintf(text, sizeof(text), "[ticketing.t]\ntype = jira\nurl = %s\n", bad[i]);
        snprintf(want, sizeof(want),
                 "t.conf:3: [ticketing.t] url: expected http://HOST[:PORT][/PATH] or https://..., "
                 "without user, query or fragment, not '%s'",
                 bad[i]);
        expect_error(fx, parse(fx, text), want);
    }
}

static void test_plain_http_url_is_accepted(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse(fx, "[ticketing.sdp]\ntype = servicedeskplus\nurl = http://sdp.lan:8080/\n"
                            "authtoken = x\n"));
    assert_string_equal(fx->cfg.remotes[0].url, "http://sdp.lan:8080/");
    expect_ok(fx, parse(fx, "[webhook.w]\ntype = generic\nurl = HTTPS://[::1]:8443/hook/in\n"));
}

static void test_remote_url_with_a_user_is_refused_without_quoting_it(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx,
                 parse(fx, "[ticketing.sdp]\ntype = servicedeskplus\n"
                           "url = https://admin:" SECRET "@sdp.example.com/\n"),
                 "t.conf:3: [ticketing.sdp] url: expected no user or password in the URL: give "
                 "them with the section's keys");
}

static void test_remote_url_with_a_query_or_fragment_is_refused(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse(fx, "[ticketing.t]\ntype = jira\nurl = https://h/x?token=" SECRET "\n"),
                 "t.conf:3: [ticketing.t] url: expected no query (?) or fragment (#) in the URL");
    expect_error(fx, parse(fx, "[webhook.w]\ntype = generic\nurl = https://h/hook#x\n"),
                 "t.conf:3: [webhook.w] url: expected no fragment (#) in the URL");
}

/* Teams Workflows URLs carry their signature in the query. */
static void test_webhook_url_may_carry_a_query(void **state)
{
    struct fixture *fx = *state;
    expect_ok(fx, parse(fx, "[webhook.teams]\ntype = teams\n"
                            "url = https://x.logic.azure.com/workflows/1/triggers/manual/paths/"
                            "invoke?api-version=2016-06-01&sp=%2Ftriggers&sig=" SECRET "\n"));
    assert_non_null(strstr(fx->cfg.remotes[0].url, "sig=" SECRET));
}

/* ---- named sections: authentication ---------------------------------------------- */

static void test_ticketing_needs_authentication(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse(fx, "[ticketing.sdp]\ntype = servicedeskplus\nurl = https://h\n"),
                 "t.conf:1: [ticketing.sdp] needs authentication: authtoken, or oauth_client_id + "
                 "oauth_client_secret + oauth_refresh_token");
    expect_error(fx, parse(fx, "[ticketing.sn]\ntype = servicenow\nurl = https://h\n"),
                 "t.conf:1: [ticketing.sn] needs authentication: username + password, or "
                 "oauth_client_id + oauth_client_secret + oauth_refresh_token");
    expect_error(fx, parse(fx, "[ticketing.j]\ntype = jira\nurl = https://h\nproject = P\n"),
                 "t.conf:1: [ticketing.j] needs authentication: email + api_token, or pat");
}

static void test_pagerduty_needs_a_routing_key(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse(fx, "[webhook.pd]\ntype = pagerduty\n"),
                 "t.conf:1: [webhook.pd] needs routing_key (or routing_key_file, or "
                 "$CERTSWEEP_WEBHOOK_PD_ROUTING_KEY)");
}

static void test_username_without_password_is_incomplete(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx,
                 parse(fx, "[ticketing.sn]\ntype = servicenow\nurl = https://h\nusername = u\n"),
                 "t.conf:1: [ticketing.sn] username is set but not password (or password_file, or "
                 "$CERTSWEEP_TICKETING_SN_PASSWORD): authenticate with username + password, or "
                 "oauth_client_id + oauth_client_secret + oauth_refresh_token");
}

static void test_incomplete_oauth_names_the_missing_key(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(parse(fx, "[ticketing.sdp]\ntype = servicedeskplus\nurl = https://h\n"
                               "oauth_client_id = c\noauth_refresh_token = " SECRET "\n"),
                     CS_ERR_USAGE);
    assert_non_null(strstr(fx->err, "t.conf:1: [ticketing.sdp] oauth_client_id is set but not "
                                    "oauth_client_secret (or oauth_client_secret_file, or "
                                    "$CERTSWEEP_TICKETING_SDP_OAUTH_CLIENT_SECRET)"));
    assert_null(strstr(fx->err, SECRET));
}

static void test_oauth_token_url_alone_is_incomplete_oauth(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(parse_plus(fx, sdp_ok, "oauth_token_url = https://accounts.zoho.eu/x"),
                     CS_ERR_USAGE);
    assert_non_null(strstr(fx->err, "t.conf:5: [ticketing.sdp] authtoken and oauth_token_url are "
                                    "two ways to authenticate; keep one"));
}

static void test_jira_email_without_api_token_is_incomplete(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(parse(fx, "[ticketing.j]\ntype = jira\nurl = https://h\nproject = P\n"
                               "email = a@example.com\n"),
                     CS_ERR_USAGE);
    assert_non_null(strstr(fx->err, "[ticketing.j] email is set but not api_token"));
}

static void test_basic_and_oauth_together_are_refused(void **state)
{
    struct fixture *fx = *state;
    expect_error(fx, parse_plus(fx, sn_ok, "oauth_client_id = c"),
                 "t.conf:6: [ticketing.sn] username and oauth_client_id are two ways to "
                 "authenticate; keep one: username + password, or oauth_client_id + "
                 "oauth_client_secret + oauth_refresh_token");
}

static void test_authtoken_and_oauth_together_are_refused(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(
        parse_plus(fx, sdp_ok,
                   "oauth_client_id = c\noauth_client_secret = s\noauth_refresh_token = r"),
        CS_ERR_USAGE);
    assert_non_null(strstr(fx->err, "t.conf:5: [ticketing.sdp] authtoken and oauth_client_id are "
                                    "two ways to authenticate"));
}

static void test_api_token_and_pat_together_are_refused(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(parse_plus(fx, jira_ok, "pat = " SECRET), CS_ERR_USAGE);
    assert_non_null(
        strstr(fx->err, "t.conf:7: [ticketing.jira] email and pat are two ways to authenticate"));
}

/* ---- named sections: secrets ------------------------------------------------------- */

static void test_remote_secret_sources_are_recorded(void **state)
{
    struct fixture *fx = *state;
    char text[PATH_MAX + 512];
    snprintf(text, sizeof(text),
             "[ticketing.sn]\ntype = servicenow\nurl = https://h\noauth_client_id = c\n"
             "oauth_client_secret = " SECRET "\noauth_refresh_token_file = %s\n",
             write_file(fx, "rt", "refresh\n", 0600));
    expect_ok(fx, parse(fx, text));
    const struct cs_remote_config *r = &fx->cfg.remotes[0];
    assert_string_equal(r->oauth_refresh_token, "refresh");
    assert_string_equal(r->secrets[0].key, "oauth_client_secret");
    assert_string_equal(r->secrets[0].from, "oauth_client_secret");
    assert_string_equal(r->secrets[1].key, "oauth_refresh_token");
    assert_string_equal(r->secrets[1].from, "oauth_refresh_token_file");
    assert_null(r->secrets[2].key);
}

static void test_remote_secret_from_a_file_is_its_first_line(void **state)
{
    struct fixture *fx = *state;
    char text[PATH_MAX + 256];
    snprintf(text, sizeof(text), "[webhook.pd]\ntype = pagerduty\nrouting_key_file = %s\n",
             write_file(fx, "rk", SECRET "\r\nsecond\n", 0600));
    expect_ok(fx, parse(fx, text));
    assert_string_equal(fx->cfg.remotes[0].routing_key, SECRET);
    assert_string_equal(fx->cfg.remotes[0].secrets[0].from, "routing_key_file");
}

static void test_remote_secret_from_the_environment_comes_first(void **state)
{
    struct fixture *fx = *state;
    char text[PATH_MAX + 256];
    setenv("CERTSWEEP_TICKETING_SDP_AUTHTOKEN", "from-env", 1);
    expect_ok(fx, parse(fx, sdp_ok));
    assert_string_equal(fx->cfg.remotes[0].authtoken, "from-env");
    assert_string_equal(fx->cfg.remotes[0].secrets[0].from, "CERTSWEEP_TICKETING_SDP_AUTHTOKEN");

    snprintf(text, sizeof(text),
             "[ticketing.sdp]\ntype = servicedeskplus\nurl = https://h\nauthtoken_file = %s\n",
             write_file(fx, "tok", "from-file\n", 0600));
    expect_ok(fx, parse(fx, text));
    assert_string_equal(fx->cfg.remotes[0].authtoken, "from-env");

    unsetenv("CERTSWEEP_TICKETING_SDP_AUTHTOKEN");
    expect_ok(fx, parse(fx, text));
    assert_string_equal(fx->cfg.remotes[0].authtoken, "from-file");
    assert_string_equal(fx->cfg.remotes[0].secrets[0].from, "authtoken_file");
}

static void test_environment_alone_supplies_a_remote_secret(void **state)
{
    struct fixture *fx = *state;
    setenv("CERTSWEEP_WEBHOOK_PD_ROUTING_KEY", "from-env", 1);
    expect_ok(fx, parse(fx, "[webhook.pd]\ntype = pagerduty\n"));
    assert_string_equal(fx->cfg.remotes[0].routing_key, "from-env");
    assert_string_equal(fx->cfg.remotes[0].auth, "routing_key");
}

static void test_remote_environment_name_has_underscores_for_dashes(void **state)
{
    struct fixture *fx = *state;
    setenv("CERTSWEEP_TICKETING_SDP_PROD_AUTHTOKEN", "from-env", 1);
    expect_ok(fx, parse(fx, "[ticketing.sdp-prod]\ntype = servicedeskplus\nurl = https://h\n"));
    assert_string_equal(fx->cfg.remotes[0].authtoken, "from-env");
    assert_string_equal(fx->cfg.remotes[0].secrets[0].from,
                        "CERTSWEEP_TICKETING_SDP_PROD_AUTHTOKEN");
}

static void test_environment_secret_of_another_way_conflicts(void **state)
{
    struct fixture *fx = *state;
    setenv("CERTSWEEP_TICKETING_SN_PASSWORD", SECRET, 1);
    assert_int_equal(parse(fx, "[ticketing.sn]\ntype = servicenow\nurl = https://h\n"
                               "oauth_client_id = c\noauth_client_secret = s\n"
                               "oauth_refresh_token = r\n"),
                     CS_ERR_USAGE);
    assert_non_null(strstr(fx->err, "[ticketing.sn] CERTSWEEP_TICKETING_SN_PASSWORD and "
                                    "oauth_client_id are two ways to authenticate"));
    assert_null(strstr(fx->err, SECRET));
}

static void test_environment_secret_of_another_type_is_ignored(void **state)
{
    struct fixture *fx = *state;
    setenv("CERTSWEEP_TICKETING_JIRA_PAT", "pat", 1);
    expect_ok(fx, parse(fx, "[ticketing.jira]\ntype = servicedeskplus\nurl = https://h\n"
                            "authtoken = t\n"));
    assert_null(fx->cfg.remotes[0].pat);
}

static void test_too_long_environment_secret_is_refused_without_its_value(void **state)
{
    struct fixture *fx = *state;
    char value[1100];
    memset(value, 'k', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    setenv("CERTSWEEP_WEBHOOK_PD_ROUTING_KEY", value, 1);
    expect_error(fx, parse(fx, "[webhook.pd]\ntype = pagerduty\n"),
                 "t.conf: CERTSWEEP_WEBHOOK_PD_ROUTING_KEY: expected an integration key of 1 to "
                 "1024 characters, not the value");
}

static void test_remote_secret_key_and_file_both_is_an_error(void **state)
{
    struct fixture *fx = *state;
    char text[PATH_MAX + 256];
    snprintf(text, sizeof(text), "%spat_file = %s\n",
             "[ticketing.jira]\ntype = jira\nurl = https://h\nproject = P\npat = " SECRET "\n",
             write_file(fx, "pat", "x\n", 0600));
    expect_error(fx, parse(fx, text),
                 "t.conf:6: [ticketing.jira] pat and pat_file are both set; "
                 "keep one");
}

static void test_world_readable_file_with_an_inline_remote_secret_is_refused(void **state)
{
    struct fixture *fx = *state;
    char text[1024], want[PATH_MAX + 256];
    snprintf(text, sizeof(text), "%s%s", smtp_ok, jira_ok);
    const char *path = write_file(fx, "certsweep.conf", text, 0644);
    snprintf(want, sizeof(want),
             "%s:9: [ticketing.jira] api_token: the file holds this secret but is readable by "
             "others (mode 0644); chmod 600 it or use api_token_file",
             path);
    expect_error(fx, cs_config_load(path, &fx->cfg, fx->err, sizeof(fx->err)), want);
    assert_null(strstr(fx->err, SECRET));

    cs_config_clear(&fx->cfg);
    path = write_file(fx, "certsweep.conf", text, 0600);
    expect_ok(fx, cs_config_load(path, &fx->cfg, fx->err, sizeof(fx->err)));
    assert_string_equal(fx->cfg.remotes[0].api_token, SECRET);
}

static void test_world_readable_file_with_remote_secret_files_is_read(void **state)
{
    struct fixture *fx = *state;
    char tok[PATH_MAX + 64], text[PATH_MAX + 256];
    snprintf(tok, sizeof(tok), "%s", write_file(fx, "tok", SECRET "\n", 0600));
    snprintf(text, sizeof(text),
             "[ticketing.sdp]\ntype = servicedeskplus\nurl = https://h\nauthtoken_file = %s\n",
             tok);
    const char *path = write_file(fx, "certsweep.conf", text, 0644);
    expect_ok(fx, cs_config_load(path, &fx->cfg, fx->err, sizeof(fx->err)));
    assert_string_equal(fx->cfg.remotes[0].authtoken, SECRET);
}

static void test_remote_secret_file_readable_by_others_is_refused(void **state)
{
    struct fixture *fx = *state;
    char tok[PATH_MAX + 64], text[PATH_MAX + 256], want[2 * PATH_MAX];
    snprintf(tok, sizeof(tok), "%s", write_file(fx, "tok", SECRET "\n", 0640));
    snprintf(text, sizeof(text), "[webhook.pd]\ntype = pagerduty\nrouting_key_file = %s\n", tok);
    const char *path = write_file(fx, "certsweep.conf", text, 0600);
    snprintf(want, sizeof(want),
             "%s:3: [webhook.pd] routing_key_file: '%s' is readable by others (mode 0640); chmod "
             "600 it",
             path, tok);
    expect_error(fx, cs_config_load(path, &fx->cfg, fx->err, sizeof(fx->err)), want);
}

static void test_no_remote_secret_appears_in_messages(void **state)
{
    struct fixture *fx = *state;
    const char *bad[] = {
        /* a bad value after a secret */
        "[ticketing.sdp]\ntype = servicedeskplus\nurl = https://h\nauthtoken = " SECRET
        "\ntimeout = x\n",
        /* a secret given twice */
        "[ticketing.sdp]\ntype = servicedeskplus\nauthtoken = " SECRET "\nauthtoken = " SECRET "\n",
        /* a secret with a control character */
        "[webhook.pd]\ntype = pagerduty\nrouting_key = \x01" SECRET "\n",
        /* a secret of another type, before and after the type */
        "[ticketing.j]\ntype = jira\nurl = https://h\nproject = P\nauthtoken = " SECRET "\n",
        "[ticketing.j]\nauthtoken = " SECRET "\ntype = jira\n",
        /* a secret in a section without a type, or with a bad one */
        "[ticketing.j]\npat = " SECRET "\n",
        "[ticketing.j]\npat = " SECRET "\ntype = otrs\n",
        /* secrets in the URL */
        "[ticketing.sn]\ntype = servicenow\nurl = https://u:" SECRET "@h\n",
        "[ticketing.sn]\ntype = servicenow\nurl = https://" SECRET "@h/x\n",
        "[webhook.g]\ntype = generic\nurl = https://h/?key=" SECRET "#x\n",
        /* incomplete or mixed authentication */
        "[ticketing.sn]\ntype = servicenow\nurl = https://h\npassword = " SECRET "\n",
        "[ticketing.sn]\ntype = servicenow\nurl = https://h\nusername = u\npassword = " SECRET
        "\noauth_client_secret = " SECRET "\n",
        "[ticketing.sdp]\ntype = servicedeskplus\nurl = https://h\noauth_client_secret = " SECRET
        "\n",
        "[ticketing.jira]\ntype = jira\nurl = https://h\nproject = P\npat = " SECRET
        "\napi_token = " SECRET "\n",
        /* a missing required key */
        "[ticketing.jira]\ntype = jira\nurl = https://h\npat = " SECRET "\n",
        "[webhook.g]\ntype = generic\nbearer_token = " SECRET "\n",
        /* a line that is the secret alone */
        "[webhook.g]\ntype = generic\nurl = https://h\n" SECRET "\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_not_equal(parse(fx, bad[i]), CS_OK);
        assert_true(fx->err[0] != '\0');
        if (strstr(fx->err, SECRET) != NULL)
            fail_msg("case %zu leaks the secret: %s", i, fx->err);
    }

    char text[PATH_MAX + 256];
    snprintf(text, sizeof(text),
             "[ticketing.sdp]\ntype = servicedeskplus\nurl = https://h\nauthtoken = " SECRET
             "\nauthtoken_file = %s\n",
             write_file(fx, "tok", SECRET "\n", 0600));
    assert_int_equal(parse(fx, text), CS_ERR_USAGE);
    assert_null(strstr(fx->err, SECRET));
}

static void test_default_path(void **state)
{
    (void)state;
    char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    char *xdg = getenv("XDG_CONFIG_HOME") ? strdup(getenv("XDG_CONFIG_HOME")) : NULL;

    setenv("CERTSWEEP_CONFIG", "/etc/certsweep.conf", 1);
    assert_string_equal(cs_config_default_path(), "/etc/certsweep.conf");
    setenv("CERTSWEEP_CONFIG", "", 1);
    setenv("XDG_CONFIG_HOME", "/xdg", 1);
    assert_string_equal(cs_config_default_path(), "/xdg/certsweep/certsweep.conf");
    unsetenv("CERTSWEEP_CONFIG");
    unsetenv("XDG_CONFIG_HOME");
    setenv("HOME", "/home/u", 1);
    assert_string_equal(cs_config_default_path(), "/home/u/.config/certsweep/certsweep.conf");
    setenv("XDG_CONFIG_HOME", "", 1);
    assert_string_equal(cs_config_default_path(), "/home/u/.config/certsweep/certsweep.conf");

    if (home)
        setenv("HOME", home, 1);
    else
        unsetenv("HOME");
    if (xdg)
        setenv("XDG_CONFIG_HOME", xdg, 1);
    else
        unsetenv("XDG_CONFIG_HOME");
    free(home);
    free(xdg);
}

static void test_clear_accepts_a_zeroed_config_twice(void **state)
{
    (void)state;
    struct cs_config cfg = {0};
    cs_config_clear(&cfg);
    cs_config_clear(&cfg);
    cs_config_clear(NULL);
}

#define fx_test(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        fx_test(test_empty_text_is_an_empty_configuration),
        fx_test(test_outbox_defaults_without_a_section),
        fx_test(test_smtp_defaults),
        fx_test(test_syslog_defaults),
        fx_test(test_smtp_keys),
        fx_test(test_syslog_keys),
        fx_test(test_outbox_keys),
        fx_test(test_smtps_url),
        fx_test(test_smtp_url_ipv6_and_no_port),
        fx_test(test_smtp_url_bad_values),
        fx_test(test_smtp_url_with_a_user_is_refused),
        fx_test(test_starttls_values),
        fx_test(test_starttls_with_smtps_is_refused),
        fx_test(test_password_without_tls_is_refused),
        fx_test(test_from_must_look_like_an_address),
        fx_test(test_ca_file_must_exist),
        fx_test(test_syslog_ca_file_only_for_tls),
        fx_test(test_timeouts_are_seconds_from_1_to_600),
        fx_test(test_outbox_bounds),
        fx_test(test_retry_max_below_retry_min_is_refused),
        fx_test(test_syslog_default_ports),
        fx_test(test_syslog_ipv6_target),
        fx_test(test_syslog_ipv6_without_brackets_is_refused),
        fx_test(test_syslog_bad_targets),
        fx_test(test_facility_names),
        fx_test(test_facility_numbers),
        fx_test(test_app_name_and_hostname_bounds),
        fx_test(test_bad_value_names_file_line_section_key_and_value),
        fx_test(test_unknown_key_lists_the_valid_keys),
        fx_test(test_unknown_section_names_its_line),
        fx_test(test_empty_unknown_section_is_refused),
        fx_test(test_duplicate_key_is_refused),
        fx_test(test_duplicate_section_is_refused),
        fx_test(test_missing_required_key_names_the_section),
        fx_test(test_key_outside_a_section_is_refused),
        fx_test(test_line_without_equals_names_its_line),
        fx_test(test_empty_value_is_refused),
        fx_test(test_comments),
        fx_test(test_semicolon_inside_a_value_is_kept),
        fx_test(test_hash_after_a_value_is_not_a_comment),
        fx_test(test_indented_lines_are_keys_not_continuations),
        fx_test(test_crlf_and_bom),
        fx_test(test_spaced_section_header),
        fx_test(test_no_final_newline),
        fx_test(test_long_line_is_refused_with_its_number),
        fx_test(test_long_bad_value_is_shortened_in_the_message),
        fx_test(test_secret_from_the_key),
        fx_test(test_secret_from_a_file_is_its_first_line),
        fx_test(test_secret_file_with_an_empty_first_line_is_refused),
        fx_test(test_missing_secret_file_names_it),
        fx_test(test_secret_from_the_environment_comes_first),
        fx_test(test_empty_environment_secret_is_ignored),
        fx_test(test_environment_secret_needs_an_smtp_section),
        fx_test(test_secret_file_comes_before_the_key_but_both_is_an_error),
        fx_test(test_secret_never_appears_in_messages),
        fx_test(test_secret_value_is_called_the_value),
        fx_test(test_world_readable_file_with_a_password_is_refused),
        fx_test(test_world_readable_file_with_a_webhook_url_is_refused),
        fx_test(test_group_readable_file_with_a_password_is_refused),
        fx_test(test_private_file_with_a_password_is_read),
        fx_test(test_world_readable_file_without_secrets_is_read),
        fx_test(test_secret_file_readable_by_others_is_refused),
        fx_test(test_secret_file_readable_by_others_is_not_checked_by_parse),
        fx_test(test_secret_file_is_not_read_when_the_environment_has_it),
        fx_test(test_load_error_names_the_file_and_line),
        fx_test(test_missing_default_file_is_an_empty_configuration),
        fx_test(test_default_file_is_read),
        fx_test(test_missing_explicit_file_is_an_error),
        fx_test(test_directory_is_not_a_configuration_file),
        fx_test(test_nul_byte_in_the_file_is_refused),
        fx_test(test_certsweep_url_is_the_public_url),
        fx_test(test_public_url_defaults_to_the_hostname),
        fx_test(test_certsweep_url_must_be_http_or_https),
        fx_test(test_servicedeskplus_with_an_authtoken),
        fx_test(test_servicedeskplus_optional_fields),
        fx_test(test_servicedeskplus_cloud_oauth_defaults_the_token_url),
        fx_test(test_servicenow_basic_auth_and_defaults),
        fx_test(test_servicenow_fields),
        fx_test(test_servicenow_urgency_and_impact_are_1_to_3),
        fx_test(test_priority_per_severity),
        fx_test(test_servicenow_table_is_a_name),
        fx_test(test_servicenow_oauth_token_url_defaults_to_the_instance),
        fx_test(test_jira_cloud_with_email_and_api_token),
        fx_test(test_jira_data_center_with_a_pat),
        fx_test(test_jira_needs_a_project),
        fx_test(test_pagerduty_url_defaults_to_events_v2),
        fx_test(test_slack_and_teams_need_a_url_and_no_auth),
        fx_test(test_generic_webhook_with_and_without_a_bearer_token),
        fx_test(test_several_sections_of_each_kind_in_file_order),
        fx_test(test_config_remote_on_an_empty_configuration),
        fx_test(test_type_may_come_after_other_keys),
        fx_test(test_bad_value_before_the_type_is_reported_at_its_line),
        fx_test(test_type_is_not_case_sensitive),
        fx_test(test_close_resolved_is_yes_or_no),
        fx_test(test_close_resolved_is_not_a_webhook_key),
        fx_test(test_remote_timeout_and_ca_file),
        fx_test(test_named_section_needs_a_type),
        fx_test(test_unknown_type_lists_the_types),
        fx_test(test_key_of_another_type_names_the_type_and_its_keys),
        fx_test(test_key_of_another_type_before_the_type_is_reported_at_its_line),
        fx_test(test_unknown_key_in_a_named_section),
        fx_test(test_duplicate_named_section_is_refused),
        fx_test(test_same_name_in_ticketing_and_webhook_is_allowed),
        fx_test(test_section_name_is_1_to_32_of_a_z_0_9_underscore_dash),
        fx_test(test_named_section_without_a_name_is_refused),
        fx_test(test_duplicate_key_in_a_named_section_is_refused),
        fx_test(test_too_many_named_sections_are_refused),
        fx_test(test_remote_url_is_required),
        fx_test(test_remote_url_must_be_http_or_https),
        fx_test(test_plain_http_url_is_accepted),
        fx_test(test_remote_url_with_a_user_is_refused_without_quoting_it),
        fx_test(test_remote_url_with_a_query_or_fragment_is_refused),
        fx_test(test_webhook_url_may_carry_a_query),
        fx_test(test_ticketing_needs_authentication),
        fx_test(test_pagerduty_needs_a_routing_key),
        fx_test(test_username_without_password_is_incomplete),
        fx_test(test_incomplete_oauth_names_the_missing_key),
        fx_test(test_oauth_token_url_alone_is_incomplete_oauth),
        fx_test(test_jira_email_without_api_token_is_incomplete),
        fx_test(test_basic_and_oauth_together_are_refused),
        fx_test(test_authtoken_and_oauth_together_are_refused),
        fx_test(test_api_token_and_pat_together_are_refused),
        fx_test(test_remote_secret_sources_are_recorded),
        fx_test(test_remote_secret_from_a_file_is_its_first_line),
        fx_test(test_remote_secret_from_the_environment_comes_first),
        fx_test(test_environment_alone_supplies_a_remote_secret),
        fx_test(test_remote_environment_name_has_underscores_for_dashes),
        fx_test(test_environment_secret_of_another_way_conflicts),
        fx_test(test_environment_secret_of_another_type_is_ignored),
        fx_test(test_too_long_environment_secret_is_refused_without_its_value),
        fx_test(test_remote_secret_key_and_file_both_is_an_error),
        fx_test(test_world_readable_file_with_an_inline_remote_secret_is_refused),
        fx_test(test_world_readable_file_with_remote_secret_files_is_read),
        fx_test(test_remote_secret_file_readable_by_others_is_refused),
        fx_test(test_no_remote_secret_appears_in_messages),
        cmocka_unit_test(test_default_path),
        cmocka_unit_test(test_clear_accepts_a_zeroed_config_twice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
