#include "network.h"
#include "notify.h"
#include "schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Calls fn on each space-separated token of list; stops at the first error. */
static enum cs_rc each_token(const char *list, enum cs_rc (*fn)(const char *tok, void *arg),
                             void *arg)
{
    char *copy = strdup(list ? list : "");
    enum cs_rc rc = copy ? CS_OK : CS_ERR_NOMEM;
    char *save = NULL;
    for (char *tok = copy ? strtok_r(copy, " \t", &save) : NULL; tok && rc == CS_OK;
         tok = strtok_r(NULL, " \t", &save))
        rc = fn(tok, arg);
    free(copy);
    return rc;
}

struct add_ctx {
    struct cs_target_list *list;
    const char *sni;
    char *err;
    size_t errlen;
};

static enum cs_rc add_target(const char *tok, void *arg)
{
    struct add_ctx *ctx = arg;
    size_t before = ctx->list->count;
    /* A network is what its owner asked for: no size limit beyond the
     * absolute one. */
    enum cs_rc rc = cs_target_add_arg(ctx->list, tok, CS_TARGET_ALLOW_LARGE, ctx->err, ctx->errlen);
    for (size_t i = before; rc == CS_OK && ctx->sni && i < ctx->list->count; i++) {
        struct cs_target *t = &ctx->list->items[i];
        if (t->kind == CS_TARGET_RANGE && (t->sni = strdup(ctx->sni)) == NULL)
            rc = CS_ERR_NOMEM;
    }
    return rc;
}

static enum cs_rc check_sni(const char *tok, void *arg)
{
    struct add_ctx *ctx = arg;
    struct cs_target_list probe = {0};
    enum cs_rc rc = cs_target_parse(&probe, tok, 0, NULL, 0);
    bool is_name =
        rc == CS_OK && probe.items[0].kind == CS_TARGET_HOST && !probe.items[0].ports.count;
    cs_target_list_free(&probe);
    if (!is_name)
        return cs_fail(ctx->err, ctx->errlen, CS_ERR_USAGE, "invalid SNI '%s': expected a hostname",
                       tok);
    return CS_OK;
}

static enum cs_rc check_email(const char *tok, void *arg)
{
    struct add_ctx *ctx = arg;
    if (!cs_email_address_valid(tok))
        return cs_fail(ctx->err, ctx->errlen, CS_ERR_USAGE, "invalid email address '%s'", tok);
    return CS_OK;
}

static enum cs_rc check_range(const char *what, unsigned v, unsigned lo, unsigned hi, char *err,
                              size_t errlen)
{
    if (v < lo || v > hi)
        return cs_fail(err, errlen, CS_ERR_USAGE, "invalid %s %u: expected %u-%u", what, v, lo, hi);
    return CS_OK;
}

/* A schedule (or, with quiet, quiet hours) of the network: NULL and "" are
 * none. The message names the option that sets it. */
static enum cs_rc check_schedule(const char *option, const char *text, bool quiet, char *err,
                                 size_t errlen)
{
    struct cs_schedule *schedule = NULL;
    struct cs_quiet *q = NULL;
    char why[CS_ERRLEN];
    enum cs_rc rc;

    if (text == NULL || text[0] == '\0')
        return CS_OK;
    rc = quiet ? cs_quiet_parse(text, &q, why, sizeof(why))
               : cs_schedule_parse(text, &schedule, why, sizeof(why));
    cs_schedule_free(&schedule);
    cs_quiet_free(&q);
    if (rc != CS_OK)
        return cs_fail(err, errlen, rc, "invalid %s '%s': %s", option, text, why);
    return CS_OK;
}

enum cs_rc cs_network_validate(const struct cs_network *net, char *err, size_t errlen)
{
    struct cs_target_list targets = {0}, excludes = {0};
    struct cs_portlist ports = {0};
    struct add_ctx ctx = {.err = err, .errlen = errlen};
    enum cs_rc rc;

    if (net->name == NULL || net->name[0] == '\0' || strpbrk(net->name, " \t/"))
        return cs_fail(err, errlen, CS_ERR_USAGE, "invalid network name '%s': no spaces or slashes",
                       net->name ? net->name : "");
    if ((rc = each_token(net->snis, check_sni, &ctx)) != CS_OK ||
        (rc = each_token(net->alert_to, check_email, &ctx)) != CS_OK ||
        (rc = check_range("--connect-timeout", net->connect_timeout_ms, 1, 600000, err, errlen)) !=
            CS_OK ||
        (rc = check_range("--download-timeout", net->download_timeout_ms, 1, 600000, err,
                          errlen)) != CS_OK ||
        (rc = check_range("--expiry-days", net->expiry_days, 0, 3650, err, errlen)) != CS_OK ||
        (rc = check_range("--max-email-rows", net->max_email_rows, 1, 100000, err, errlen)) !=
            CS_OK ||
        (rc = check_schedule("--discover-every", net->discover_every, false, err, errlen)) !=
            CS_OK ||
        (rc = check_schedule("--monitor-every", net->monitor_every, false, err, errlen)) != CS_OK ||
        (rc = check_schedule("--vulnscan-every", net->vulnscan_every, false, err, errlen)) !=
            CS_OK ||
        (rc = check_schedule("--quiet-hours", net->quiet_hours, true, err, errlen)) != CS_OK)
        return rc;
    rc = cs_network_targets(net, &targets, &excludes, &ports, err, errlen);
    if (rc == CS_OK && targets.count == 0)
        rc = cs_fail(err, errlen, CS_ERR_USAGE, "network '%s' has no --range", net->name);
    cs_target_list_free(&targets);
    cs_target_list_free(&excludes);
    cs_portlist_free(&ports);
    return rc;
}

struct sni_ctx {
    const struct cs_network *net;
    struct add_ctx add;
};

static enum cs_rc ranges_with_sni(const char *sni, void *arg)
{
    struct sni_ctx *ctx = arg;
    struct add_ctx add = ctx->add;
    add.sni = sni;
    return each_token(ctx->net->ranges, add_target, &add);
}

enum cs_rc cs_network_targets(const struct cs_network *net, struct cs_target_list *targets,
                              struct cs_target_list *excludes, struct cs_portlist *ports, char *err,
                              size_t errlen)
{
    struct sni_ctx ctx = {.net = net, .add = {.list = targets, .err = err, .errlen = errlen}};
    struct add_ctx ex = {.list = excludes, .err = err, .errlen = errlen};
    enum cs_rc rc;
    bool has_sni = net->snis && strspn(net->snis, " \t") != strlen(net->snis);

    rc = cs_portlist_parse(net->ports && net->ports[0] ? net->ports : "443", ports, err, errlen);
    if (rc != CS_OK)
        return rc;
    if (has_sni)
        rc = each_token(net->snis, ranges_with_sni, &ctx);
    else
        rc = each_token(net->ranges, add_target, &ctx.add);
    if (rc == CS_OK)
        rc = each_token(net->excludes, add_target, &ex);
    return rc;
}
