/*
 * libFuzzer harness for target.c: target tokens and port lists as a user
 * (or an @FILE) could write them, then the plan built from what parsed.
 *
 * Input: one flags byte, then lines. The first line is the default port
 * list; a line starting with '!' is an exclusion; every other line is a
 * target. Hostnames are "resolved" from a hash of the name, so that some
 * have addresses and some a dns_error. Besides memory errors, the harness
 * checks what the plan promises: spans are well formed, the cursor yields
 * plan->total endpoints, none twice, and none that an exclusion covers.
 */
#include "target.h"

#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum {
    FLAG_ALLOW_LARGE = 1 << 0,
    FLAG_SNI = 1 << 1,
    FLAG_SHORT_ERR = 1 << 2,
    MAX_WALK = 4096,      /* endpoints iterated per input */
    MAX_SPANS = 1 << 15,  /* spans (address runs x ports) a plan may cost */
    MAX_UNRESOLVED = 512, /* unresolved host x port records */
};

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Gives every hostname target of list addresses or a DNS error. */
static int fake_resolve(struct cs_target_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        struct cs_target *t = &list->items[i];
        if (t->kind != CS_TARGET_HOST)
            continue;
        uint32_t h = hash(t->host);
        if (h % 4 == 0) {
            t->dns_error = "not_found";
            continue;
        }
        t->addrs = calloc(2, sizeof(*t->addrs));
        if (t->addrs == NULL)
            return -1;
        t->addrs[0] = (struct cs_addr){AF_INET, 0x0a000000u | (h >> 8 & 0xff)};
        t->addrs[1] = (struct cs_addr){AF_INET6, ((cs_u128)0x20010db8u << 96) | (h & 0xf)};
        t->naddrs = h % 4 == 1 ? 1 : 2;
    }
    return 0;
}

static uint64_t port_count(const struct cs_portlist *ports)
{
    uint64_t n = 0;
    for (size_t i = 0; i < ports->count; i++)
        n += (uint64_t)ports->ranges[i].hi - ports->ranges[i].lo + 1;
    return n;
}

/* Whether building the plan stays cheap enough for a fuzzing iteration. */
static int affordable(const struct cs_target_list *targets, const struct cs_target_list *excludes,
                      const struct cs_portlist *default_ports)
{
    uint64_t spans = 0, unresolved = 0;
    for (size_t i = 0; i < targets->count; i++) {
        const struct cs_target *t = &targets->items[i];
        uint64_t ports = port_count(t->ports.count ? &t->ports : default_ports);
        spans += ports * (t->kind == CS_TARGET_HOST ? t->naddrs : 1);
        if (t->dns_error != NULL)
            unresolved += ports;
    }
    for (size_t i = 0; i < excludes->count; i++) {
        const struct cs_target *t = &excludes->items[i];
        uint64_t ports = t->ports.count ? port_count(&t->ports) : 1;
        spans += ports * (t->kind == CS_TARGET_HOST ? t->naddrs : 1);
    }
    return spans <= MAX_SPANS && unresolved <= MAX_UNRESOLVED;
}

static int excluded(const struct cs_target_list *excludes, const struct cs_endpoint *ep)
{
    for (size_t i = 0; i < excludes->count; i++) {
        const struct cs_target *t = &excludes->items[i];
        int port_ok = t->ports.count == 0;
        for (size_t r = 0; r < t->ports.count; r++)
            port_ok |= ep->port >= t->ports.ranges[r].lo && ep->port <= t->ports.ranges[r].hi;
        if (!port_ok)
            continue;
        if (t->kind == CS_TARGET_RANGE) {
            if (t->family == ep->addr.family && ep->addr.v >= t->first && ep->addr.v <= t->last)
                return 1;
            continue;
        }
        for (size_t k = 0; k < t->naddrs; k++)
            if (t->addrs[k].family == ep->addr.family && t->addrs[k].v == ep->addr.v)
                return 1;
    }
    return 0;
}

static int endpoint_cmp(const void *pa, const void *pb)
{
    const struct cs_endpoint *a = pa, *b = pb;
    if (a->addr.family != b->addr.family)
        return a->addr.family < b->addr.family ? -1 : 1;
    if (a->addr.v != b->addr.v)
        return a->addr.v < b->addr.v ? -1 : 1;
    if (a->port != b->port)
        return a->port < b->port ? -1 : 1;
    if (a->sni == NULL || b->sni == NULL)
        return (a->sni != NULL) - (b->sni != NULL);
    return strcmp(a->sni, b->sni);
}

static void check_plan(const struct cs_plan *plan, const struct cs_target_list *excludes)
{
    static struct cs_endpoint seen[MAX_WALK];
    struct cs_plan_cursor cur = {0};
    struct cs_endpoint ep;
    uint64_t total = 0;
    size_t n = 0;

    for (size_t i = 0; i < plan->nspans; i++) {
        const struct cs_span *s = &plan->spans[i];
        if (s->first > s->last || s->port == 0)
            abort();
        if (s->family == AF_INET && s->last > 0xffffffffu)
            abort();
        total += (uint64_t)(s->last - s->first) + 1;
    }
    if (total != plan->total)
        abort();
    for (size_t i = 0; i < plan->nunresolved; i++)
        if (plan->unresolved[i].host == NULL || plan->unresolved[i].dns_error == NULL)
            abort();

    while (n < MAX_WALK && cs_plan_peek(plan, &cur, &ep)) {
        if (excluded(excludes, &ep))
            abort();
        seen[n++] = ep;
        cs_plan_advance(plan, &cur);
    }
    if (n < MAX_WALK && n != plan->total)
        abort();
    if (n == plan->total) {
        qsort(seen, n, sizeof(seen[0]), endpoint_cmp);
        for (size_t i = 1; i < n; i++)
            if (endpoint_cmp(&seen[i - 1], &seen[i]) == 0)
                abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cs_target_list targets = {0}, excludes = {0};
    struct cs_portlist default_ports = {0};
    struct cs_plan *plan = NULL;
    char err[CS_ERRLEN];
    unsigned flags;
    size_t errlen;
    char *text;

    if (size == 0)
        return 0;
    flags = data[0];
    errlen = flags & FLAG_SHORT_ERR ? 8 : sizeof(err);
    text = malloc(size);
    if (text == NULL)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';

    char *line = text, *next;
    for (size_t lineno = 0; line != NULL; lineno++, line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';

        struct cs_portlist ports = {0};
        enum cs_rc rc = cs_portlist_parse(line, &ports, err, errlen);
        if ((rc == CS_OK) != (ports.count > 0))
            abort();
        if (lineno == 0 && rc == CS_OK) {
            default_ports = ports;
            continue;
        }
        cs_portlist_free(&ports);
        if (lineno == 0)
            continue;

        unsigned tflags = flags & FLAG_ALLOW_LARGE ? CS_TARGET_ALLOW_LARGE : 0;
        struct cs_target_list *list = line[0] == '!' ? &excludes : &targets;
        size_t before = list->count;
        rc = cs_target_parse(list, line[0] == '!' ? line + 1 : line, tflags, err, errlen);
        if ((rc == CS_OK) != (list->count == before + 1))
            abort();
        if (rc != CS_OK && rc != CS_ERR_USAGE && rc != CS_ERR_NOMEM)
            abort();
    }

    if (fake_resolve(&targets) == 0 && fake_resolve(&excludes) == 0 &&
        affordable(&targets, &excludes, &default_ports)) {
        const char *sni = flags & FLAG_SNI ? "fuzz.test" : NULL;
        if (cs_plan_build(&targets, &excludes, &default_ports, sni, &plan, err, errlen) == CS_OK)
            check_plan(plan, &excludes);
        cs_plan_free(&plan);
    }

    cs_portlist_free(&default_ports);
    cs_target_list_free(&targets);
    cs_target_list_free(&excludes);
    free(text);
    return 0;
}
