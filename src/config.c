/*
 * The configuration file (config.h). Every setting is one row of the
 * `settings` table below: its section, key, kind of value, bounds, default
 * and what a user must write; the parser, the defaults and the error
 * messages all come from that table, and docs/config.md repeats it.
 *
 * libinih splits the text into sections and key = value pairs. It is fed
 * through a reader of our own (next_line) that counts lines, so that every
 * message names one, and that normalises each line first, so that the
 * result does not depend on how the distribution built libinih:
 *   - leading blanks are dropped, so an indented line is never taken for
 *     the continuation of the previous value (multi-line values are off);
 *   - comments are cut: a line starting with ';' or '#', and from a ';'
 *     that follows a blank to the end of the line;
 *   - a line that would not fit libinih's line buffer is an error rather
 *     than being split in two;
 *   - section headers are checked here, since libinih does not report
 *     an empty section to the handler.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
    MAX_FILE_SIZE = 1 << 20,       /* a configuration file larger than this is refused */
    MAX_SECRET_FILE = 4096,        /* bytes of a secret file that are read */
    MAX_SHOWN = 64,                /* characters of a bad value or key quoted in messages */
    MAX_HOST = 253,                /* a DNS name */
    PERM_MASK = S_IRWXG | S_IRWXO, /* what group and others must not have on a secret */
};

/* ---- the table ------------------------------------------------------------ */

enum section { SEC_SMTP, SEC_SYSLOG, SEC_OUTBOX, NSECTIONS };

static const char *const section_names[NSECTIONS] = {"smtp", "syslog", "outbox"};

/* What a value is, which says how it is checked and stored. */
enum kind {
    K_SMTP_URL,    /* char *: smtp://HOST[:PORT] or smtps://HOST[:PORT] */
    K_SYSLOG_URL,  /* char *target, plus transport, host and port */
    K_BOOL,        /* bool: one of `choices` */
    K_ENUM,        /* unsigned: one of `choices`, or a number from min to max */
    K_ADDRESS,     /* char *: local@domain */
    K_TEXT,        /* char *: min..max bytes, no control characters */
    K_PRINTABLE,   /* char *: min..max characters from '!' to '~' */
    K_SECRET,      /* char *: never quoted in a message */
    K_SECRET_FILE, /* the secret of row KEY, for KEY_file: the file to read it from */
    K_FILE,        /* char *: the name of a file that can be read */
    K_UINT,        /* unsigned: a number from min to max */
    K_SECONDS,     /* unsigned milliseconds: seconds from min to max */
};

enum {
    F_REQUIRED = 1 << 0, /* a section without it is an error */
    F_HOSTNAME = 1 << 1, /* the default is gethostname() */
};

struct choice {
    const char *name;
    unsigned value;
};

static const struct choice starttls_choices[] = {{"required", 1}, {"none", 0}, {NULL, 0}};

/* The names of syslog(3) and RFC 5424, as rsyslog spells them. */
static const struct choice facility_choices[] = {
    {"kern", 0},          {"user", 1},    {"mail", 2},    {"daemon", 3},    {"auth", 4},
    {"syslog", 5},        {"lpr", 6},     {"news", 7},    {"uucp", 8},      {"cron", 9},
    {"authpriv", 10},     {"ftp", 11},    {"ntp", 12},    {"security", 13}, {"console", 14},
    {"solaris-cron", 15}, {"local0", 16}, {"local1", 17}, {"local2", 18},   {"local3", 19},
    {"local4", 20},       {"local5", 21}, {"local6", 22}, {"local7", 23},   {NULL, 0},
};

struct setting {
    enum section section;
    const char *key;
    enum kind kind;
    unsigned min, max;            /* numbers: the range; strings: the length */
    const char *def;              /* default, read like a value from the file; NULL: none */
    unsigned flags;               /* F_* */
    size_t offset;                /* the field in struct cs_config */
    const struct choice *choices; /* K_BOOL, K_ENUM */
    const char *env;              /* K_SECRET: an environment variable that overrides it */
    const char *expect;           /* what a value must look like, for messages */
};

#define AT(field) offsetof(struct cs_config, field)

/* section, key, kind, min, max, default, flags, field, choices, environment,
 * what a value looks like */
static const struct setting settings[] = {
    {SEC_SMTP, "url", K_SMTP_URL, 0, 0, NULL, F_REQUIRED, AT(smtp.url), NULL, NULL,
     "smtp://HOST[:PORT] or smtps://HOST[:PORT]"},
    {SEC_SMTP, "starttls", K_BOOL, 0, 0, "required", 0, AT(smtp.starttls), starttls_choices, NULL,
     "required or none"},
    {SEC_SMTP, "from", K_ADDRESS, 3, 254, NULL, F_REQUIRED, AT(smtp.from), NULL, NULL,
     "an address like certsweep@example.com"},
    {SEC_SMTP, "username", K_TEXT, 1, 255, NULL, 0, AT(smtp.username), NULL, NULL,
     "a user name of 1 to 255 characters"},
    {SEC_SMTP, "password", K_SECRET, 1, 1024, NULL, 0, AT(smtp.password), NULL,
     "CERTSWEEP_SMTP_PASSWORD", "a password of 1 to 1024 characters"},
    {SEC_SMTP, "password_file", K_SECRET_FILE, 0, 0, NULL, 0, AT(smtp.password), NULL, NULL,
     "a file whose first line is the password"},
    {SEC_SMTP, "ca_file", K_FILE, 0, 0, NULL, 0, AT(smtp.ca_file), NULL, NULL,
     "a readable file of PEM certificates"},
    {SEC_SMTP, "timeout", K_SECONDS, 1, 600, "30", 0, AT(smtp.timeout_ms), NULL, NULL,
     "seconds from 1 to 600"},

    {SEC_SYSLOG, "target", K_SYSLOG_URL, 0, 0, NULL, F_REQUIRED, AT(syslog.target), NULL, NULL,
     "udp://HOST[:PORT], tcp://HOST[:PORT] or tls://HOST[:PORT]"},
    {SEC_SYSLOG, "facility", K_ENUM, 0, 23, "local0", 0, AT(syslog.facility), facility_choices,
     NULL,
     "a facility name (kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, "
     "authpriv, ftp, ntp, security, console, solaris-cron, local0 to local7) or a number "
     "from 0 to 23"},
    {SEC_SYSLOG, "app_name", K_PRINTABLE, 1, 48, "certsweep", 0, AT(syslog.app_name), NULL, NULL,
     "1 to 48 printable ASCII characters, no spaces"},
    {SEC_SYSLOG, "hostname", K_PRINTABLE, 1, 255, NULL, F_HOSTNAME, AT(syslog.hostname), NULL, NULL,
     "1 to 255 printable ASCII characters, no spaces"},
    {SEC_SYSLOG, "ca_file", K_FILE, 0, 0, NULL, 0, AT(syslog.ca_file), NULL, NULL,
     "a readable file of PEM certificates"},
    {SEC_SYSLOG, "timeout", K_SECONDS, 1, 600, "5", 0, AT(syslog.timeout_ms), NULL, NULL,
     "seconds from 1 to 600"},

    {SEC_OUTBOX, "max_attempts", K_UINT, 1, 1000, "10", 0, AT(outbox.max_attempts), NULL, NULL,
     "a number from 1 to 1000"},
    {SEC_OUTBOX, "retry_min", K_UINT, 1, 86400, "60", 0, AT(outbox.retry_min_s), NULL, NULL,
     "seconds from 1 to 86400"},
    {SEC_OUTBOX, "retry_max", K_UINT, 1, 604800, "21600", 0, AT(outbox.retry_max_s), NULL, NULL,
     "seconds from 1 to 604800, at least retry_min"},
};

enum { NSETTINGS = sizeof(settings) / sizeof(settings[0]) };

/* ---- parsing state -------------------------------------------------------- */

struct parse {
    struct cs_config *cfg;
    const char *name; /* the file, as messages name it */
    const char *text; /* the whole file */
    size_t len, pos;
    unsigned lineno;                  /* of the line last handed to libinih */
    int section;                      /* the open section; -1 before the first */
    unsigned section_line[NSECTIONS]; /* where each was opened; 0: absent */
    unsigned key_line[NSETTINGS];     /* where each key was given; 0: absent */
    char *secret_file[NSETTINGS];     /* K_SECRET_FILE rows: the file named */
    bool check_perms;                 /* refuse secret files open to group/others */
    enum cs_rc rc;                    /* the first error */
    unsigned err_line;                /* its line; 0: none */
    char *err;
    size_t errlen;
    char why[CS_ERRLEN]; /* a setter's own complaint; "" for "expected ..." */
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Copies s for a message: at most MAX_SHOWN characters, anything that is not
 * printable ASCII as '?'. */
static const char *shown(const char *s, char *buf, size_t buflen)
{
    size_t n = 0;
    for (; *s && n + 4 < buflen && n < MAX_SHOWN; s++)
        buf[n++] = *s >= ' ' && *s <= '~' ? *s : '?';
    if (*s) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

static bool fail(struct parse *st, enum cs_rc rc, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Records the first error, "NAME:LINE: ..." (no line when line is 0). */
static bool fail(struct parse *st, enum cs_rc rc, unsigned line, const char *fmt, ...)
{
    char msg[CS_ERRLEN];
    va_list ap;

    if (st->rc != CS_OK)
        return false;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (line > 0)
        cs_fail(st->err, st->errlen, rc, "%s:%u: %s", st->name, line, msg);
    else
        cs_fail(st->err, st->errlen, rc, "%s: %s", st->name, msg);
    st->rc = rc;
    st->err_line = line;
    return false;
}

static bool nomem(struct parse *st)
{
    return fail(st, CS_ERR_NOMEM, 0, "out of memory");
}

static void *field(struct cs_config *cfg, const struct setting *s)
{
    return (char *)cfg + s->offset;
}

static int setting_index(const struct setting *s)
{
    return (int)(s - settings);
}

static const struct setting *find_setting(enum section sec, const char *key)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        if (settings[i].section == sec && strcmp(settings[i].key, key) == 0)
            return &settings[i];
    return NULL;
}

/* ---- values --------------------------------------------------------------- */

/* Reads a decimal number without sign; false if it is not one or overflows. */
static bool parse_number(const char *v, unsigned long *out)
{
    unsigned long n = 0;
    if (*v == '\0')
        return false;
    for (; *v; v++) {
        if (*v < '0' || *v > '9' || n > (ULONG_MAX - 9) / 10)
            return false;
        n = n * 10 + (unsigned long)(*v - '0');
    }
    *out = n;
    return true;
}

static bool valid_hostname(const char *h, size_t len)
{
    if (len == 0 || len > MAX_HOST)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = h[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_'))
            return false;
    }
    return true;
}

/* An IPv6 literal, optionally with a zone ("fe80::1%eth0"). */
static bool valid_ipv6(const char *h, size_t len)
{
    char buf[INET6_ADDRSTRLEN + 32];
    unsigned char addr[16];
    const char *zone = memchr(h, '%', len);
    size_t alen = zone ? (size_t)(zone - h) : len;

    if (alen == 0 || alen >= INET6_ADDRSTRLEN || len >= sizeof(buf))
        return false;
    if (zone && !valid_hostname(zone + 1, len - alen - 1))
        return false;
    memcpy(buf, h, alen);
    buf[alen] = '\0';
    return inet_pton(AF_INET6, buf, addr) == 1;
}

/*
 * Splits "HOST[:PORT][/]" after a URL's scheme: host is a name, an IPv4
 * address or an IPv6 address in brackets (stored without them). *port is 0
 * when none is given. On failure, st->why may say more than `expect`.
 */
static bool split_authority(struct parse *st, const char *rest, char **host, unsigned *port)
{
    const char *h = rest, *end;
    size_t hlen;

    *port = 0;
    if (strchr(rest, '@') != NULL) {
        snprintf(st->why, sizeof(st->why),
                 "expected no user in the URL: give it with username (and the password with "
                 "password or password_file)");
        return false;
    }
    if (*h == '[') {
        end = strchr(h, ']');
        if (end == NULL)
            return false;
        h++;
        hlen = (size_t)(end - h);
        if (!valid_ipv6(h, hlen))
            return false;
        end++;
    } else {
        end = h + strcspn(h, ":/");
        hlen = (size_t)(end - h);
        if (*end == ':' && strchr(end + 1, ':') != NULL) {
            snprintf(st->why, sizeof(st->why),
                     "expected an IPv6 address in brackets, as in [::1]:514");
            return false;
        }
        if (!valid_hostname(h, hlen))
            return false;
    }
    if (*end == ':') {
        char digits[8];
        unsigned long p;
        size_t n = strcspn(end + 1, "/");
        if (n == 0 || n >= sizeof(digits))
            return false;
        memcpy(digits, end + 1, n);
        digits[n] = '\0';
        if (!parse_number(digits, &p) || p < 1 || p > 65535)
            return false;
        *port = (unsigned)p;
        end += 1 + n;
    }
    if (strcmp(end, "") != 0 && strcmp(end, "/") != 0)
        return false;
    *host = strndup(h, hlen);
    if (*host == NULL)
        return nomem(st);
    return true;
}

/* Stores a copy of v into the char * at *slot, replacing what was there. */
static bool store_string(struct parse *st, char **slot, const char *v)
{
    char *copy = strdup(v);
    if (copy == NULL)
        return nomem(st);
    free(*slot);
    *slot = copy;
    return true;
}

static bool set_smtp_url(struct parse *st, const struct setting *s, const char *v)
{
    const char *rest;
    char *host = NULL;
    unsigned port;

    if (strncasecmp(v, "smtp://", 7) == 0)
        rest = v + 7;
    else if (strncasecmp(v, "smtps://", 8) == 0)
        rest = v + 8;
    else
        return false;
    if (!split_authority(st, rest, &host, &port))
        return false;
    free(host);
    return store_string(st, field(st->cfg, s), v);
}

static bool set_syslog_url(struct parse *st, const struct setting *s, const char *v)
{
    static const struct {
        const char *scheme;
        enum cs_syslog_transport transport;
        const char *port;
    } schemes[] = {
        {"udp://", CS_SYSLOG_UDP, "514"},
        {"tcp://", CS_SYSLOG_TCP, "514"},
        {"tls://", CS_SYSLOG_TLS, "6514"},
    };
    struct cs_syslog_config *sl = &st->cfg->syslog;
    char *host = NULL, portbuf[12];
    unsigned port;

    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        if (strncasecmp(v, schemes[i].scheme, 6) != 0)
            continue;
        if (!split_authority(st, v + 6, &host, &port))
            return false;
        if (port != 0)
            snprintf(portbuf, sizeof(portbuf), "%u", port);
        else
            snprintf(portbuf, sizeof(portbuf), "%s", schemes[i].port);
        free(sl->host);
        sl->host = host;
        sl->transport = schemes[i].transport;
        return store_string(st, &sl->port, portbuf) && store_string(st, field(st->cfg, s), v);
    }
    return false;
}

static bool set_choice(struct parse *st, const struct setting *s, const char *v)
{
    unsigned long n;

    for (const struct choice *c = s->choices; c->name != NULL; c++) {
        if (strcasecmp(c->name, v) != 0)
            continue;
        if (s->kind == K_BOOL)
            *(bool *)field(st->cfg, s) = c->value != 0;
        else
            *(unsigned *)field(st->cfg, s) = c->value;
        return true;
    }
    if (s->kind == K_ENUM && s->max > 0 && parse_number(v, &n) && n >= s->min && n <= s->max) {
        *(unsigned *)field(st->cfg, s) = (unsigned)n;
        return true;
    }
    return false;
}

static bool set_address(struct parse *st, const struct setting *s, const char *v)
{
    const char *at = strchr(v, '@');
    size_t len = strlen(v);

    if (at == NULL || at == v || at[1] == '\0' || strchr(at + 1, '@') != NULL || len < s->min ||
        len > s->max)
        return false;
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f || strchr("<>\",;()[]\\", *p) != NULL)
            return false;
    return store_string(st, field(st->cfg, s), v);
}

static bool set_text(struct parse *st, const struct setting *s, const char *v)
{
    size_t len = strlen(v);

    if (len < s->min || len > s->max)
        return false;
    for (const char *p = v; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < ' ' || c == 0x7f || (s->kind == K_PRINTABLE && (c == ' ' || c > '~')))
            return false;
    }
    return store_string(st, field(st->cfg, s), v);
}

static bool set_file(struct parse *st, const struct setting *s, const char *v)
{
    char name[MAX_SHOWN + 4];
    struct stat sb;

    if (*v == '\0')
        return false;
    if (access(v, R_OK) != 0 || stat(v, &sb) != 0) {
        snprintf(st->why, sizeof(st->why), "cannot read '%s': %s", shown(v, name, sizeof(name)),
                 strerror(errno));
        return false;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(st->why, sizeof(st->why), "'%s' is not a regular file",
                 shown(v, name, sizeof(name)));
        return false;
    }
    return store_string(st, field(st->cfg, s), v);
}

/* The name only; the file is read once the whole section is known. */
static bool set_secret_file(struct parse *st, const struct setting *s, const char *v)
{
    if (*v == '\0')
        return false;
    return store_string(st, &st->secret_file[setting_index(s)], v);
}

static bool set_number(struct parse *st, const struct setting *s, const char *v)
{
    unsigned long n;

    if (!parse_number(v, &n) || n < s->min || n > s->max)
        return false;
    *(unsigned *)field(st->cfg, s) = (unsigned)(s->kind == K_SECONDS ? n * 1000 : n);
    return true;
}

/* Checks and stores one value; false with the error recorded. */
static bool set_value(struct parse *st, const struct setting *s, const char *v, unsigned line)
{
    char shown_value[MAX_SHOWN + 4];
    bool ok = false;

    st->why[0] = '\0';
    switch (s->kind) {
    case K_SMTP_URL:
        ok = set_smtp_url(st, s, v);
        break;
    case K_SYSLOG_URL:
        ok = set_syslog_url(st, s, v);
        break;
    case K_BOOL:
    case K_ENUM:
        ok = set_choice(st, s, v);
        break;
    case K_ADDRESS:
        ok = set_address(st, s, v);
        break;
    case K_TEXT:
    case K_PRINTABLE:
    case K_SECRET:
        ok = set_text(st, s, v);
        break;
    case K_SECRET_FILE:
        ok = set_secret_file(st, s, v);
        break;
    case K_FILE:
        ok = set_file(st, s, v);
        break;
    case K_UINT:
    case K_SECONDS:
        ok = set_number(st, s, v);
        break;
    }
    if (ok || st->rc != CS_OK)
        return ok;
    if (st->why[0] != '\0')
        return fail(st, CS_ERR_USAGE, line, "[%s] %s: %s", section_names[s->section], s->key,
                    st->why);
    if (s->kind == K_SECRET)
        return fail(st, CS_ERR_USAGE, line, "[%s] %s: expected %s, not the value",
                    section_names[s->section], s->key, s->expect);
    return fail(st, CS_ERR_USAGE, line, "[%s] %s: expected %s, not '%s'", section_names[s->section],
                s->key, s->expect, shown(v, shown_value, sizeof(shown_value)));
}

/* ---- lines and entries ---------------------------------------------------- */

static void list_keys(enum section sec, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < NSETTINGS && n < len; i++)
        if (settings[i].section == sec)
            n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "", settings[i].key);
}

/* "[name]", comments and blanks already cut. */
static bool open_section(struct parse *st, const char *p, size_t n)
{
    char name[MAX_SHOWN + 4], text[MAX_SHOWN + 4];
    const char *close = memchr(p, ']', n);

    if (close == NULL || close != p + n - 1)
        return fail(st, CS_ERR_USAGE, st->lineno, "expected a section header like [smtp]");
    p++;
    n -= 2;
    while (n > 0 && is_blank(*p))
        p++, n--;
    while (n > 0 && is_blank(p[n - 1]))
        n--;
    snprintf(text, sizeof(text), "%.*s", (int)(n < MAX_SHOWN ? n : MAX_SHOWN), p);
    for (int i = 0; i < NSECTIONS; i++) {
        if (strlen(section_names[i]) != n || memcmp(section_names[i], p, n) != 0)
            continue;
        if (st->section_line[i] != 0)
            return fail(st, CS_ERR_USAGE, st->lineno, "[%s] given twice (first at line %u)",
                        section_names[i], st->section_line[i]);
        st->section = i;
        st->section_line[i] = st->lineno;
        if (i == SEC_SMTP)
            st->cfg->smtp.configured = true;
        else if (i == SEC_SYSLOG)
            st->cfg->syslog.configured = true;
        return true;
    }
    return fail(st, CS_ERR_USAGE, st->lineno,
                "unknown section [%s]; valid sections: [smtp], [syslog], [outbox]",
                shown(text, name, sizeof(name)));
}

/*
 * The ini_reader: hands libinih the next line, normalised as the comment
 * at the top says, and ends the file early (NULL) once an error is known.
 */
static char *next_line(char *buf, int size, void *arg)
{
    struct parse *st = arg;
    const char *p, *nl;
    size_t n;

    if (st->rc != CS_OK || st->pos >= st->len)
        return NULL;
    p = st->text + st->pos;
    nl = memchr(p, '\n', st->len - st->pos);
    n = nl ? (size_t)(nl - p) : st->len - st->pos;
    st->pos += n + (nl != NULL);
    st->lineno++;

    if (st->lineno == 1 && n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3, n -= 3;
    if (memchr(p, '\0', n) != NULL) {
        fail(st, CS_ERR_USAGE, st->lineno, "a NUL byte: not a text file");
        return NULL;
    }
    while (n > 0 && is_blank(*p))
        p++, n--;
    if (n > 0 && (*p == ';' || *p == '#'))
        n = 0;
    for (size_t i = 1; i < n; i++) {
        if (p[i] == ';' && is_blank(p[i - 1])) {
            n = i;
            break;
        }
    }
    while (n > 0 && is_blank(p[n - 1]))
        n--;

    if (size < 3 || n > (size_t)size - 2) {
        fail(st, CS_ERR_USAGE, st->lineno, "line longer than %d characters",
             size < 3 ? 0 : size - 2);
        return NULL;
    }
    if (n > 0 && *p == '[' && !open_section(st, p, n))
        return NULL;
    memcpy(buf, p, n);
    buf[n] = '\n';
    buf[n + 1] = '\0';
    return buf;
}

/* The ini_handler: one key = value of the current line. */
static int on_entry(void *arg, const char *section, const char *key, const char *value)
{
    struct parse *st = arg;
    char name[MAX_SHOWN + 4], keys[256];
    const struct setting *s;
    int i;

    (void)section; /* next_line tracks it, empty sections included */
    if (st->rc != CS_OK)
        return 0;
    if (st->section < 0)
        return fail(st, CS_ERR_USAGE, st->lineno,
                    "'%s' is outside any section: start with [smtp], [syslog] or [outbox]",
                    shown(key, name, sizeof(name)));
    s = find_setting((enum section)st->section, key);
    if (s == NULL) {
        list_keys((enum section)st->section, keys, sizeof(keys));
        return fail(st, CS_ERR_USAGE, st->lineno, "[%s] unknown key '%s'; valid keys: %s",
                    section_names[st->section], shown(key, name, sizeof(name)), keys);
    }
    i = setting_index(s);
    if (st->key_line[i] != 0)
        return fail(st, CS_ERR_USAGE, st->lineno, "[%s] %s given twice (first at line %u)",
                    section_names[s->section], s->key, st->key_line[i]);
    st->key_line[i] = st->lineno;
    return set_value(st, s, value ? value : "", st->lineno);
}

/* ---- after the last line -------------------------------------------------- */

/* Reads the first line of a secret file into *out (the caller wipes it). */
static bool read_secret_file(struct parse *st, const struct setting *s, size_t max,
                             const char *path, char **out)
{
    char buf[MAX_SECRET_FILE + 1], name[MAX_SHOWN + 4];
    unsigned line = st->key_line[setting_index(s)];
    const char *sec = section_names[s->section];
    struct stat sb;
    ssize_t got = 0, r;
    const char *nl;
    size_t n;
    int fd;
    bool ok = false;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0 || fstat(fd, &sb) != 0) {
        fail(st, CS_ERR_IO, line, "[%s] %s: cannot read '%s': %s", sec, s->key,
             shown(path, name, sizeof(name)), strerror(errno));
        goto out;
    }
    if (!S_ISREG(sb.st_mode)) {
        fail(st, CS_ERR_USAGE, line, "[%s] %s: '%s' is not a regular file", sec, s->key,
             shown(path, name, sizeof(name)));
        goto out;
    }
    if (st->check_perms && (sb.st_mode & PERM_MASK) != 0) {
        fail(st, CS_ERR_USAGE, line,
             "[%s] %s: '%s' is readable by others (mode %04o); chmod 600 it", sec, s->key,
             shown(path, name, sizeof(name)), (unsigned)(sb.st_mode & 07777));
        goto out;
    }
    while ((size_t)got < MAX_SECRET_FILE &&
           (r = read(fd, buf + got, MAX_SECRET_FILE - (size_t)got)) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            fail(st, CS_ERR_IO, line, "[%s] %s: cannot read '%s': %s", sec, s->key,
                 shown(path, name, sizeof(name)), strerror(errno));
            goto out;
        }
        got += r;
    }
    nl = memchr(buf, '\n', (size_t)got);
    n = nl ? (size_t)(nl - buf) : (size_t)got;
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    if (n == 0 || memchr(buf, '\0', n) != NULL || n > max) {
        fail(st, CS_ERR_USAGE, line,
             "[%s] %s: the first line of '%s' must hold the password (1 to %zu bytes, no NUL)", sec,
             s->key, shown(path, name, sizeof(name)), max);
        goto out;
    }
    *out = strndup(buf, n);
    ok = *out != NULL || nomem(st);
out:
    OPENSSL_cleanse(buf, sizeof(buf));
    if (fd >= 0)
        close(fd);
    return ok;
}

/* Replaces a secret, wiping the old one. */
static void replace_secret(char **slot, char *value)
{
    if (*slot != NULL) {
        OPENSSL_cleanse(*slot, strlen(*slot));
        free(*slot);
    }
    *slot = value;
}

/* Where each secret comes from: the environment, else its file, else the key. */
static bool resolve_secret(struct parse *st, const struct setting *s)
{
    const struct setting *file_row = NULL;
    char file_key[64], *value = NULL;
    unsigned key_line = st->key_line[setting_index(s)], file_line = 0;
    const char *env = s->env ? getenv(s->env) : NULL;
    const char *path = NULL;

    snprintf(file_key, sizeof(file_key), "%s_file", s->key);
    file_row = find_setting(s->section, file_key);
    if (file_row != NULL) {
        file_line = st->key_line[setting_index(file_row)];
        path = st->secret_file[setting_index(file_row)];
    }
    if (key_line != 0 && file_line != 0)
        return fail(st, CS_ERR_USAGE, key_line > file_line ? key_line : file_line,
                    "[%s] %s and %s are both set; keep one", section_names[s->section], s->key,
                    file_key);
    if (s->section == SEC_SMTP)
        st->cfg->smtp.password_source = NULL;
    if (env != NULL && *env != '\0') {
        if (strlen(env) > s->max)
            return fail(st, CS_ERR_USAGE, 0, "%s: expected %s, not the value", s->env, s->expect);
        value = strdup(env);
        if (value == NULL)
            return nomem(st);
        replace_secret(field(st->cfg, s), value);
        if (s->section == SEC_SMTP)
            st->cfg->smtp.password_source = s->env;
        return true;
    }
    if (path != NULL) {
        if (!read_secret_file(st, file_row, s->max, path, &value))
            return false;
        replace_secret(field(st->cfg, s), value);
        if (s->section == SEC_SMTP)
            st->cfg->smtp.password_source = file_row->key;
        return true;
    }
    if (key_line != 0 && s->section == SEC_SMTP)
        st->cfg->smtp.password_source = s->key;
    return true;
}

static bool default_hostname(struct parse *st, const struct setting *s)
{
    char host[256];
    const char *v = "-"; /* RFC 5424's NILVALUE: the name is unknown */

    if (gethostname(host, sizeof(host)) == 0) {
        host[sizeof(host) - 1] = '\0';
        v = host;
        for (const char *p = host; *p; p++)
            if (*p <= ' ' || *p > '~')
                v = "-";
        if (*host == '\0')
            v = "-";
    }
    return store_string(st, field(st->cfg, s), v);
}

/* Required keys, defaults, secrets and the rules that tie keys together. */
static bool finish(struct parse *st)
{
    struct cs_config *cfg = st->cfg;

    for (size_t i = 0; i < NSETTINGS; i++) {
        const struct setting *s = &settings[i];
        unsigned at = st->section_line[s->section];
        if (at == 0 && s->section != SEC_OUTBOX)
            continue;
        if (st->key_line[i] != 0)
            continue;
        if (s->flags & F_REQUIRED)
            return fail(st, CS_ERR_USAGE, at, "[%s] needs %s (%s)", section_names[s->section],
                        s->key, s->expect);
        if (s->flags & F_HOSTNAME) {
            if (!default_hostname(st, s))
                return false;
        } else if (s->def != NULL && !set_value(st, s, s->def, at)) {
            return false;
        }
    }
    for (size_t i = 0; i < NSETTINGS; i++)
        if (settings[i].kind == K_SECRET && st->section_line[settings[i].section] != 0 &&
            !resolve_secret(st, &settings[i]))
            return false;

    if (cfg->outbox.retry_max_s < cfg->outbox.retry_min_s) {
        const struct setting *s = find_setting(SEC_OUTBOX, "retry_max");
        unsigned line = st->key_line[setting_index(s)];
        if (line == 0)
            line = st->key_line[setting_index(find_setting(SEC_OUTBOX, "retry_min"))];
        return fail(st, CS_ERR_USAGE, line,
                    "[outbox] retry_max (%u) must be at least retry_min (%u)",
                    cfg->outbox.retry_max_s, cfg->outbox.retry_min_s);
    }
    if (cfg->smtp.configured && strncasecmp(cfg->smtp.url, "smtps:", 6) == 0) {
        unsigned line = st->key_line[setting_index(find_setting(SEC_SMTP, "starttls"))];
        if (line != 0)
            return fail(st, CS_ERR_USAGE, line,
                        "[smtp] starttls: only for smtp:// URLs; smtps:// is TLS from the "
                        "first byte");
    }
    /* A password over a connection without TLS would cross the network in
     * clear: refused, as curl's CURLUSESSL_TRY is never used either. */
    if (cfg->smtp.configured && cfg->smtp.password != NULL && !cfg->smtp.starttls &&
        strncasecmp(cfg->smtp.url, "smtps:", 6) != 0) {
        unsigned line = st->key_line[setting_index(find_setting(SEC_SMTP, "starttls"))];
        return fail(st, CS_ERR_USAGE, line,
                    "[smtp] starttls = none with a password would send the password in clear; "
                    "use starttls = required or an smtps:// URL");
    }
    if (cfg->syslog.configured && cfg->syslog.transport != CS_SYSLOG_TLS) {
        unsigned line = st->key_line[setting_index(find_setting(SEC_SYSLOG, "ca_file"))];
        if (line != 0)
            return fail(st, CS_ERR_USAGE, line, "[syslog] ca_file: only for tls:// targets");
    }
    return true;
}

/* Parses len bytes of text into cfg (zeroed first). */
static enum cs_rc parse_text(struct parse *st, const char *text, size_t len)
{
    int rc;

    st->text = text;
    st->len = len;
    st->section = -1;
    rc = ini_parse_stream(next_line, st, on_entry, st);
    /* libinih reports the first line it could not parse (or whose entry
     * on_entry refused); a line before our own first error wins. */
    if (rc == -2) {
        st->rc = CS_OK;
        nomem(st);
    } else if (rc > 0 && (st->err_line == 0 || (unsigned)rc < st->err_line)) {
        st->rc = CS_OK;
        fail(st, CS_ERR_USAGE, (unsigned)rc, "expected [section] or key = value");
    }
    if (st->rc == CS_OK)
        finish(st);
    return st->rc;
}

static void parse_done(struct parse *st)
{
    for (size_t i = 0; i < NSETTINGS; i++)
        free(st->secret_file[i]);
}

/* ---- the interface ---------------------------------------------------------- */

const char *cs_config_default_path(void)
{
    static char path[PATH_MAX];
    const char *env = getenv("CERTSWEEP_CONFIG");
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    int n;

    if (env != NULL && *env != '\0')
        n = snprintf(path, sizeof(path), "%s", env);
    else if (xdg != NULL && *xdg == '/')
        n = snprintf(path, sizeof(path), "%s/certsweep/certsweep.conf", xdg);
    else {
        if (home == NULL || *home == '\0') {
            struct passwd *pw = getpwuid(getuid());
            home = pw && pw->pw_dir ? pw->pw_dir : "";
        }
        n = snprintf(path, sizeof(path), "%s/.config/certsweep/certsweep.conf", home);
    }
    /* Too long to hold: an empty name, which cs_config_load refuses,
     * rather than another file's. */
    if (n < 0 || (size_t)n >= sizeof(path))
        path[0] = '\0';
    return path;
}

enum cs_rc cs_config_parse(const char *text, const char *name, struct cs_config *cfg, char *err,
                           size_t errlen)
{
    struct parse st = {.cfg = cfg, .name = name ? name : "(config)", .err = err, .errlen = errlen};
    enum cs_rc rc;

    memset(cfg, 0, sizeof(*cfg));
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    rc = parse_text(&st, text ? text : "", text ? strlen(text) : 0);
    parse_done(&st);
    return rc;
}

enum cs_rc cs_config_load(const char *path, struct cs_config *cfg, char *err, size_t errlen)
{
    struct parse st = {.cfg = cfg, .err = err, .errlen = errlen, .check_perms = true};
    bool explicit = path != NULL;
    char *text = NULL;
    struct stat sb;
    size_t got = 0;
    int fd = -1;

    memset(cfg, 0, sizeof(*cfg));
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (path == NULL)
        path = cs_config_default_path();
    st.name = path;
    if (!explicit && *path == '\0') {
        fail(&st, CS_ERR_IO, 0, "no configuration path: $HOME or $XDG_CONFIG_HOME is too long");
        goto out;
    }

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0 && errno == ENOENT && !explicit) {
        /* No file where one is looked for by default: nothing configured,
         * and the outbox keeps its defaults. */
        parse_text(&st, "", 0);
        goto out;
    }
    if (fd < 0 || fstat(fd, &sb) != 0) {
        fail(&st, CS_ERR_IO, 0, "%s", strerror(errno));
        goto out;
    }
    if (!S_ISREG(sb.st_mode)) {
        fail(&st, CS_ERR_IO, 0, "not a regular file");
        goto out;
    }
    if (sb.st_size > MAX_FILE_SIZE) {
        fail(&st, CS_ERR_USAGE, 0, "larger than %d bytes", MAX_FILE_SIZE);
        goto out;
    }
    text = malloc((size_t)sb.st_size + 1);
    if (text == NULL) {
        nomem(&st);
        goto out;
    }
    while (got < (size_t)sb.st_size) {
        ssize_t r = read(fd, text + got, (size_t)sb.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            fail(&st, CS_ERR_IO, 0, "%s", strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    text[got] = '\0';

    cfg->path = strdup(path);
    if (cfg->path == NULL) {
        nomem(&st);
        goto out;
    }
    if (parse_text(&st, text, got) != CS_OK)
        goto out;
    if (st.key_line[setting_index(find_setting(SEC_SMTP, "password"))] != 0 &&
        (sb.st_mode & PERM_MASK) != 0)
        fail(&st, CS_ERR_USAGE, 0,
             "holds a password but is readable by others (mode %04o); chmod 600 it or use "
             "password_file",
             (unsigned)(sb.st_mode & 07777));

out:
    if (text != NULL) {
        OPENSSL_cleanse(text, got);
        free(text);
    }
    if (fd >= 0)
        close(fd);
    parse_done(&st);
    return st.rc;
}

const char *cs_config_facility_name(unsigned facility)
{
    for (const struct choice *c = facility_choices; c->name != NULL; c++)
        if (c->value == facility)
            return c->name;
    return NULL;
}

void cs_config_clear(struct cs_config *cfg)
{
    if (cfg == NULL)
        return;
    replace_secret(&cfg->smtp.password, NULL);
    free(cfg->path);
    free(cfg->smtp.url);
    free(cfg->smtp.from);
    free(cfg->smtp.username);
    free(cfg->smtp.ca_file);
    free(cfg->syslog.target);
    free(cfg->syslog.host);
    free(cfg->syslog.port);
    free(cfg->syslog.app_name);
    free(cfg->syslog.hostname);
    free(cfg->syslog.ca_file);
    memset(cfg, 0, sizeof(*cfg));
}
