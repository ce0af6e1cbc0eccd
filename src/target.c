#include "target.h"
#include "log.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- addresses ---------------------------------------------------------- */

static bool addr_parse(const char *text, struct cs_addr *out)
{
    unsigned char buf[16];

    if (inet_pton(AF_INET, text, buf) == 1) {
        out->family = AF_INET;
        out->v =
            ((uint32_t)buf[0] << 24) | ((uint32_t)buf[1] << 16) | ((uint32_t)buf[2] << 8) | buf[3];
        return true;
    }
    if (inet_pton(AF_INET6, text, buf) == 1) {
        out->family = AF_INET6;
        out->v = 0;
        for (int i = 0; i < 16; i++)
            out->v = (out->v << 8) | buf[i];
        return true;
    }
    return false;
}

static void addr_to_bytes(const struct cs_addr *addr, unsigned char *buf)
{
    int n = addr->family == AF_INET ? 4 : 16;
    for (int i = 0; i < n; i++)
        buf[i] = (unsigned char)(addr->v >> (8 * (n - 1 - i)));
}

void cs_addr_format(const struct cs_addr *addr, char *buf, size_t buflen)
{
    unsigned char bytes[16];
    addr_to_bytes(addr, bytes);
    if (inet_ntop(addr->family, bytes, buf, (socklen_t)buflen) == NULL && buflen > 0)
        buf[0] = '\0';
}

socklen_t cs_addr_to_sockaddr(const struct cs_addr *addr, uint16_t port,
                              struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (addr->family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        addr_to_bytes(addr, (unsigned char *)&sin->sin_addr);
        return sizeof(*sin);
    }
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    addr_to_bytes(addr, sin6->sin6_addr.s6_addr);
    return sizeof(*sin6);
}

/* ---- ports -------------------------------------------------------------- */

/* Strict decimal: digits only, no sign, no spaces. */
static bool parse_decimal(const char *s, size_t len, unsigned long max, unsigned long *out)
{
    unsigned long v = 0;
    if (len == 0 || len > 10)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

static bool parse_port(const char *s, size_t len, uint16_t *out)
{
    unsigned long v;
    if (!parse_decimal(s, len, 65535, &v) || v == 0)
        return false;
    *out = (uint16_t)v;
    return true;
}

enum cs_rc cs_portlist_parse(const char *text, struct cs_portlist *out, char *err, size_t errlen)
{
    size_t n = 1;
    for (const char *p = text; *p; p++)
        n += *p == ',';
    out->ranges = calloc(n, sizeof(*out->ranges));
    if (out->ranges == NULL)
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    out->count = 0;

    const char *item = text;
    for (;;) {
        size_t len = strcspn(item, ",");
        const char *dash = memchr(item, '-', len);
        struct cs_port_range r;
        bool ok;

        if (dash != NULL)
            ok = parse_port(item, (size_t)(dash - item), &r.lo) &&
                 parse_port(dash + 1, len - (size_t)(dash - item) - 1, &r.hi) && r.lo <= r.hi;
        else
            ok = parse_port(item, len, &r.lo) && (r.hi = r.lo, true);
        if (!ok) {
            cs_portlist_free(out);
            return cs_fail(err, errlen, CS_ERR_USAGE,
                           "invalid port '%.*s' in '%s': ports are 1-65535, ranges are LOW-HIGH",
                           (int)len, item, text);
        }
        out->ranges[out->count++] = r;
        if (item[len] == '\0')
            break;
        item += len + 1;
    }
    return CS_OK;
}

void cs_portlist_free(struct cs_portlist *list)
{
    free(list->ranges);
    list->ranges = NULL;
    list->count = 0;
}

/* ---- targets ------------------------------------------------------------ */

static bool is_hostname(const char *s)
{
    size_t len = strlen(s), label = 0;
    bool all_numeric = true;

    if (len == 0 || len > 253)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (label == 0)
                return false;
            label = 0;
            continue;
        }
        if (!isalnum(c) && c != '-' && c != '_')
            return false;
        if (!isdigit(c))
            all_numeric = false;
        if (++label > 63)
            return false;
    }
    /* "300.1.1.1" is a mistyped address, never a name. */
    return !all_numeric;
}

static cs_u128 host_mask(int family, unsigned prefix)
{
    unsigned bits = family == AF_INET ? 32 : 128;
    if (prefix >= bits)
        return 0;
    cs_u128 all = family == AF_INET ? (cs_u128)0xffffffffu : ~(cs_u128)0;
    return all >> prefix;
}

/* Parses the address part of a target: ADDR, ADDR/LEN or ADDR-ADDR, or a
 * hostname. Fills t; on error writes why (without the token) into why. */
static bool parse_spec(char *spec, struct cs_target *t, const char **why)
{
    struct cs_addr a, b;
    char *slash = strchr(spec, '/');
    char *dash = strchr(spec, '-');

    if (slash != NULL) {
        unsigned long prefix;
        *slash = '\0';
        if (!addr_parse(spec, &a)) {
            *why = "not a valid IP address before '/'";
            return false;
        }
        unsigned max = a.family == AF_INET ? 32 : 128;
        if (!parse_decimal(slash + 1, strlen(slash + 1), max, &prefix)) {
            *why = a.family == AF_INET ? "prefix length must be 0-32 for IPv4"
                                       : "prefix length must be 0-128 for IPv6";
            return false;
        }
        cs_u128 mask = host_mask(a.family, (unsigned)prefix);
        t->kind = CS_TARGET_RANGE;
        t->family = a.family;
        t->first = a.v & ~mask & (a.family == AF_INET ? (cs_u128)0xffffffffu : ~(cs_u128)0);
        t->last = t->first | mask;
        return true;
    }
    if (dash != NULL) {
        *dash = '\0';
        bool left = addr_parse(spec, &a);
        *dash = '-';
        if (left) {
            if (!addr_parse(dash + 1, &b) || b.family != a.family) {
                *why = "range end is not an address of the same family";
                return false;
            }
            if (b.v < a.v) {
                *why = "range end is before its start";
                return false;
            }
            t->kind = CS_TARGET_RANGE;
            t->family = a.family;
            t->first = a.v;
            t->last = b.v;
            return true;
        }
    }
    if (addr_parse(spec, &a)) {
        t->kind = CS_TARGET_RANGE;
        t->family = a.family;
        t->first = t->last = a.v;
        return true;
    }
    if (strspn(spec, "0123456789.") == strlen(spec)) {
        *why = "not a valid IPv4 address";
        return false;
    }
    if (!is_hostname(spec)) {
        *why = "not an address, range, CIDR block or hostname";
        return false;
    }
    t->kind = CS_TARGET_HOST;
    t->host = strdup(spec);
    if (t->host == NULL) {
        *why = "out of memory";
        return false;
    }
    return true;
}

static enum cs_rc list_push(struct cs_target_list *list, const struct cs_target *t)
{
    if (list->count == list->cap) {
        size_t cap = list->cap ? list->cap * 2 : 16;
        struct cs_target *items = realloc(list->items, cap * sizeof(*items));
        if (items == NULL)
            return CS_ERR_NOMEM;
        list->items = items;
        list->cap = cap;
    }
    list->items[list->count++] = *t;
    return CS_OK;
}

static void target_clear(struct cs_target *t)
{
    free(t->host);
    free(t->sni);
    free(t->addrs);
    cs_portlist_free(&t->ports);
    memset(t, 0, sizeof(*t));
}

enum cs_rc cs_target_parse(struct cs_target_list *list, const char *token, unsigned flags,
                           char *err, size_t errlen)
{
    struct cs_target t = {0};
    const char *why = NULL;
    const char *ports = NULL;
    enum cs_rc rc = CS_OK;
    char *copy = strdup(token);
    char *spec = copy;

    if (copy == NULL)
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");

    if (spec[0] == '[') {
        /* [v6], [v6/len], [v6-v6], optionally followed by :PORTS */
        char *close = strchr(spec, ']');
        if (close == NULL || (close[1] != '\0' && close[1] != ':')) {
            why = "expected '[ADDRESS]', '[ADDRESS/LEN]' or '[...]:PORTS'";
            goto bad;
        }
        *close = '\0';
        if (close[1] == ':')
            ports = close + 2;
        spec++;
    } else {
        char *colon = strchr(spec, ':');
        /* One colon separates ports; more than one is a bare IPv6 address. */
        if (colon != NULL && strchr(colon + 1, ':') == NULL) {
            *colon = '\0';
            ports = colon + 1;
        }
    }
    if (spec[0] == '\0') {
        why = "empty address";
        goto bad;
    }
    if (!parse_spec(spec, &t, &why))
        goto bad;
    if (t.kind == CS_TARGET_RANGE) {
        cs_u128 size = t.last - t.first;
        if (size >= CS_TARGET_MAX_RANGE) {
            why = "more than 2^32 addresses in one range";
            goto bad;
        }
        if (size >= CS_TARGET_LARGE_RANGE && !(flags & CS_TARGET_ALLOW_LARGE)) {
            why = "more than 16M addresses; pass --allow-large to scan it";
            goto bad;
        }
    }
    if (ports != NULL) {
        rc = cs_portlist_parse(ports, &t.ports, err, errlen);
        if (rc != CS_OK) {
            /* Prefix the port error with the token it came from. */
            char inner[CS_ERRLEN];
            snprintf(inner, sizeof(inner), "%s", err);
            cs_fail(err, errlen, rc, "invalid target '%s': %s", token, inner);
            goto out;
        }
    }
    rc = list_push(list, &t);
    if (rc != CS_OK) {
        cs_fail(err, errlen, rc, "out of memory");
        goto out;
    }
    free(copy);
    return CS_OK;

bad:
    rc = cs_fail(err, errlen, CS_ERR_USAGE, "invalid target '%s': %s", token, why);
out:
    target_clear(&t);
    free(copy);
    return rc;
}

static char *trim(char *s)
{
    char *end;
    while (isspace((unsigned char)*s))
        s++;
    end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1]))
        *--end = '\0';
    return s;
}

static enum cs_rc add_file(struct cs_target_list *list, const char *path, unsigned flags, char *err,
                           size_t errlen)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    unsigned lineno = 0;
    enum cs_rc rc = CS_OK;

    if (f == NULL)
        return cs_fail(err, errlen, CS_ERR_USAGE, "cannot read target file '%s': %s", path,
                       strerror(errno));
    while (getline(&line, &cap, f) != -1) {
        lineno++;
        line[strcspn(line, "#")] = '\0';
        char *tok = trim(line);
        if (*tok == '\0')
            continue;
        if (strpbrk(tok, " \t") != NULL) {
            rc = cs_fail(err, errlen, CS_ERR_USAGE, "%s:%u: one target per line, got '%s'", path,
                         lineno, tok);
            goto out;
        }
        rc = cs_target_parse(list, tok, flags, err, errlen);
        if (rc != CS_OK) {
            char inner[CS_ERRLEN];
            snprintf(inner, sizeof(inner), "%s", err);
            cs_fail(err, errlen, rc, "%s:%u: %s", path, lineno, inner);
            goto out;
        }
    }
    if (ferror(f))
        rc = cs_fail(err, errlen, CS_ERR_USAGE, "cannot read target file '%s': %s", path,
                     strerror(errno));
out:
    free(line);
    fclose(f);
    return rc;
}

enum cs_rc cs_target_add_arg(struct cs_target_list *list, const char *arg, unsigned flags,
                             char *err, size_t errlen)
{
    if (arg[0] == '@')
        return add_file(list, arg + 1, flags, err, errlen);
    return cs_target_parse(list, arg, flags, err, errlen);
}

void cs_target_list_free(struct cs_target_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        target_clear(&list->items[i]);
    free(list->items);
    memset(list, 0, sizeof(*list));
}

/* ---- the plan ----------------------------------------------------------- */

struct span_vec {
    struct cs_span *v;
    size_t n, cap;
};

static bool span_push(struct span_vec *sv, struct cs_span s)
{
    if (sv->n == sv->cap) {
        size_t cap = sv->cap ? sv->cap * 2 : 64;
        struct cs_span *v = realloc(sv->v, cap * sizeof(*v));
        if (v == NULL)
            return false;
        sv->v = v;
        sv->cap = cap;
    }
    sv->v[sv->n++] = s;
    return true;
}

/* Adds the spans of one address run on every port of ports. */
static bool push_ports(struct span_vec *sv, int family, cs_u128 first, cs_u128 last,
                       const struct cs_portlist *ports, const char *sni)
{
    for (size_t i = 0; i < ports->count; i++)
        for (unsigned p = ports->ranges[i].lo; p <= ports->ranges[i].hi; p++)
            if (!span_push(sv, (struct cs_span){first, last, family, (uint16_t)p, sni}))
                return false;
    return true;
}

/* Spans are ordered by port, then family, then SNI, then address, so that
 * runs that can merge are adjacent. SNIs are interned, so pointer order is a
 * consistent order. */
static int span_cmp(const void *pa, const void *pb)
{
    const struct cs_span *a = pa, *b = pb;
    if (a->port != b->port)
        return a->port < b->port ? -1 : 1;
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    if (a->sni != b->sni)
        return (uintptr_t)a->sni < (uintptr_t)b->sni ? -1 : 1;
    if (a->first != b->first)
        return a->first < b->first ? -1 : 1;
    return 0;
}

static void sort_and_merge(struct span_vec *sv)
{
    size_t out = 0;
    if (sv->n == 0)
        return;
    qsort(sv->v, sv->n, sizeof(*sv->v), span_cmp);
    for (size_t i = 1; i < sv->n; i++) {
        struct cs_span *cur = &sv->v[out], *next = &sv->v[i];
        bool same_key =
            cur->port == next->port && cur->family == next->family && cur->sni == next->sni;
        /* Merge overlapping and touching runs. A run may end at the very top
         * of the IPv6 space, where cur->last + 1 would wrap to 0. */
        bool touches =
            next->first <= cur->last || (cur->last != ~(cs_u128)0 && next->first == cur->last + 1);
        if (same_key && touches) {
            if (next->last > cur->last)
                cur->last = next->last;
        } else {
            sv->v[++out] = *next;
        }
    }
    sv->n = out + 1;
}

/* Removes from every span the addresses of the exclusions that apply to it:
 * same family and the same port, or port 0 (every port). The exclusions are
 * sorted by family and first address, so each span's cut points arrive in
 * order. Spans times exclusions is fine for the few exclusions users give. */
static bool subtract(struct span_vec *sv, const struct span_vec *ex)
{
    struct span_vec result = {0};

    for (size_t i = 0; i < sv->n; i++) {
        struct cs_span s = sv->v[i];
        bool alive = true;
        for (size_t j = 0; alive && j < ex->n; j++) {
            const struct cs_span *e = &ex->v[j];
            if (e->family != s.family || (e->port != 0 && e->port != s.port))
                continue;
            if (e->last < s.first || e->first > s.last)
                continue;
            if (e->first > s.first) {
                struct cs_span left = s;
                left.last = e->first - 1;
                if (!span_push(&result, left))
                    goto oom;
            }
            if (e->last < s.last)
                s.first = e->last + 1;
            else
                alive = false;
        }
        if (alive && !span_push(&result, s))
            goto oom;
    }
    free(sv->v);
    *sv = result;
    return true;
oom:
    free(result.v);
    return false;
}

static int excl_cmp(const void *pa, const void *pb)
{
    const struct cs_span *a = pa, *b = pb;
    if (a->family != b->family)
        return a->family < b->family ? -1 : 1;
    if (a->first != b->first)
        return a->first < b->first ? -1 : 1;
    return 0;
}

static const char *intern(struct cs_plan *plan, const char *s)
{
    if (s == NULL)
        return NULL;
    for (size_t i = 0; i < plan->nsnis; i++)
        if (strcmp(plan->snis[i], s) == 0)
            return plan->snis[i];
    char **snis = realloc(plan->snis, (plan->nsnis + 1) * sizeof(*snis));
    if (snis == NULL)
        return NULL;
    plan->snis = snis;
    snis[plan->nsnis] = strdup(s);
    return snis[plan->nsnis] ? snis[plan->nsnis++] : NULL;
}

static bool collect(struct cs_plan *plan, const struct cs_target_list *list,
                    const struct cs_portlist *default_ports, const char *sni, bool interning,
                    struct span_vec *sv)
{
    for (size_t i = 0; i < list->count; i++) {
        const struct cs_target *t = &list->items[i];
        const struct cs_portlist *ports = t->ports.count ? &t->ports : default_ports;
        const char *name = t->kind == CS_TARGET_HOST ? t->host : t->sni ? t->sni : sni;
        const char *interned = interning ? intern(plan, name) : NULL;

        if (interning && name != NULL && interned == NULL)
            return false;
        if (t->kind == CS_TARGET_RANGE) {
            if (!push_ports(sv, t->family, t->first, t->last, ports, interned))
                return false;
            continue;
        }
        for (size_t k = 0; k < t->naddrs; k++)
            if (!push_ports(sv, t->addrs[k].family, t->addrs[k].v, t->addrs[k].v, ports, interned))
                return false;
    }
    return true;
}

static bool collect_unresolved(struct cs_plan *plan, const struct cs_target_list *list,
                               const struct cs_portlist *default_ports)
{
    for (size_t i = 0; i < list->count; i++) {
        const struct cs_target *t = &list->items[i];
        const struct cs_portlist *ports = t->ports.count ? &t->ports : default_ports;
        if (t->kind != CS_TARGET_HOST || t->dns_error == NULL)
            continue;
        const char *host = intern(plan, t->host);
        if (host == NULL)
            return false;
        for (size_t r = 0; r < ports->count; r++)
            for (unsigned p = ports->ranges[r].lo; p <= ports->ranges[r].hi; p++) {
                struct cs_unresolved *u =
                    realloc(plan->unresolved, (plan->nunresolved + 1) * sizeof(*plan->unresolved));
                if (u == NULL)
                    return false;
                plan->unresolved = u;
                u[plan->nunresolved++] = (struct cs_unresolved){host, (uint16_t)p, t->dns_error};
            }
    }
    return true;
}

enum cs_rc cs_plan_build(const struct cs_target_list *targets,
                         const struct cs_target_list *excludes,
                         const struct cs_portlist *default_ports, const char *sni,
                         struct cs_plan **out, char *err, size_t errlen)
{
    /* Port 0 in an exclusion span stands for every port. */
    static const struct cs_port_range any_port = {0, 0};
    const struct cs_portlist all_ports = {(struct cs_port_range *)&any_port, 1};
    struct span_vec sv = {0}, ex = {0};
    struct cs_plan *plan = calloc(1, sizeof(*plan));
    enum cs_rc rc = CS_ERR_NOMEM;

    *out = NULL;
    if (plan == NULL)
        goto out;
    if (!collect(plan, targets, default_ports, sni, true, &sv))
        goto out;
    sort_and_merge(&sv);
    if (excludes != NULL && excludes->count > 0) {
        if (!collect(plan, excludes, &all_ports, NULL, false, &ex))
            goto out;
        if (ex.n > 0)
            qsort(ex.v, ex.n, sizeof(*ex.v), excl_cmp);
        if (!subtract(&sv, &ex))
            goto out;
    }
    if (!collect_unresolved(plan, targets, default_ports))
        goto out;
    plan->spans = sv.v;
    plan->nspans = sv.n;
    sv.v = NULL;
    for (size_t i = 0; i < plan->nspans; i++)
        plan->total += (uint64_t)(plan->spans[i].last - plan->spans[i].first) + 1;
    CS_LOG(CS_LOG_DEBUG, CS_LOGC_TARGET, "plan: %zu spans, %llu endpoints, %zu unresolved",
           plan->nspans, (unsigned long long)plan->total, plan->nunresolved);
    *out = plan;
    plan = NULL;
    rc = CS_OK;
out:
    if (rc != CS_OK)
        cs_fail(err, errlen, rc, "out of memory while building the scan plan");
    free(sv.v);
    free(ex.v);
    cs_plan_free(&plan);
    return rc;
}

void cs_plan_free(struct cs_plan **plan)
{
    if (plan == NULL || *plan == NULL)
        return;
    for (size_t i = 0; i < (*plan)->nsnis; i++)
        free((*plan)->snis[i]);
    free((*plan)->snis);
    free((*plan)->spans);
    free((*plan)->unresolved);
    free(*plan);
    *plan = NULL;
}

bool cs_plan_peek(const struct cs_plan *plan, const struct cs_plan_cursor *cur,
                  struct cs_endpoint *ep)
{
    if (cur->span >= plan->nspans)
        return false;
    const struct cs_span *s = &plan->spans[cur->span];
    ep->addr.family = s->family;
    ep->addr.v = s->first + cur->offset;
    ep->port = s->port;
    ep->sni = s->sni;
    return true;
}

void cs_plan_advance(const struct cs_plan *plan, struct cs_plan_cursor *cur)
{
    if (cur->span >= plan->nspans)
        return;
    const struct cs_span *s = &plan->spans[cur->span];
    if (s->first + cur->offset < s->last) {
        cur->offset++;
    } else {
        cur->span++;
        cur->offset = 0;
    }
}
