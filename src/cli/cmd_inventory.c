/* certsweep endpoints [...] | endpoints monitor|unmonitor IP:PORT[/SNI] | certs [...] */
#include "cli.h"
#include "listing.h"
#include "output.h"
#include "store.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Looks a network name up; 0 for none given. */
static enum cs_rc network_id_of(struct cs_store *s, const char *name, int64_t *id, char *err,
                                size_t errlen)
{
    struct cs_network net = {0};
    *id = 0;
    if (name == NULL)
        return CS_OK;
    enum cs_rc rc = cs_store_network_get(s, name, &net, err, errlen);
    *id = net.id;
    cs_network_clear(&net);
    return rc;
}

/* ---- endpoints ----------------------------------------------------------- */

static const struct cs_column endpoint_cols[] = {
    {"ip", 16},     {"port", 5},      {"sni", 16},       {"status", 22},
    {"reason", 24}, {"monitored", 9}, {"last_seen", 20}, {"cert_sha256", 16},
};

static void print_endpoint(const struct cs_endpoint_row *ep, void *arg)
{
    char port[8], seen[21], sha[17] = "";
    snprintf(port, sizeof(port), "%u", ep->port);
    cs_store_format_time(ep->last_seen, seen);
    struct cs_listing *l = arg;
    if (ep->cert_sha256)
        snprintf(sha, sizeof(sha), "%.16s", ep->cert_sha256);
    const char *values[] = {
        ep->ip,
        port,
        ep->sni[0] ? ep->sni : NULL,
        cs_status_name(ep->last_status),
        ep->last_reason,
        ep->monitored ? "yes" : "no",
        seen,
        ep->cert_sha256 ? (l->format == CS_FORMAT_TABLE ? sha : ep->cert_sha256) : NULL,
    };
    cs_listing_emit(l, values);
}

/* Parses IP:PORT[/SNI] ("[::1]:443/a.test"). */
static bool parse_endpoint(const char *text, char *ip, size_t iplen, uint16_t *port,
                           const char **sni)
{
    const char *slash = strchr(text, '/');
    size_t len = slash ? (size_t)(slash - text) : strlen(text);
    char buf[128];
    if (len >= sizeof(buf))
        return false;
    memcpy(buf, text, len);
    buf[len] = '\0';
    *sni = slash ? slash + 1 : "";
    char *colon = strrchr(buf, ':');
    if (colon == NULL)
        return false;
    *colon = '\0';
    char *host = buf;
    if (host[0] == '[') {
        size_t hl = strlen(host);
        if (hl < 2 || host[hl - 1] != ']')
            return false;
        host[hl - 1] = '\0';
        host++;
    }
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 1 || p > 65535 || strlen(host) >= iplen || !*host)
        return false;
    snprintf(ip, iplen, "%s", host);
    *port = (uint16_t)p;
    return true;
}

struct find_ctx {
    const char *ip, *sni;
    uint16_t port;
    struct cs_endpoint_row found;
    int matches;
};

static void find_endpoint(const struct cs_endpoint_row *ep, void *arg)
{
    struct find_ctx *f = arg;
    if (strcmp(ep->ip, f->ip) || ep->port != f->port || strcmp(ep->sni, f->sni))
        return;
    if (f->matches++ == 0) {
        f->found = *ep;
        f->found.sni = strdup(ep->sni);
        f->found.last_reason = strdup(ep->last_reason);
        f->found.cert_sha256 = ep->cert_sha256 ? strdup(ep->cert_sha256) : NULL;
    }
}

static int set_monitored(struct cs_store *s, const char *text, const char *network, bool on)
{
    char ip[64], err[CS_ERRLEN];
    struct find_ctx f = {0};
    struct cs_endpoint_filter filter = {0};
    enum cs_rc rc;

    if (!parse_endpoint(text, ip, sizeof(ip), &f.port, &f.sni)) {
        fprintf(stderr, "certsweep endpoints: invalid endpoint '%s': expected IP:PORT[/SNI]\n",
                text);
        return CS_EXIT_USAGE;
    }
    f.ip = ip;
    rc = network_id_of(s, network, &filter.network_id, err, sizeof(err));
    if (rc == CS_OK)
        rc = cs_store_endpoint_list(s, &filter, find_endpoint, &f, err, sizeof(err));
    if (rc == CS_OK && f.matches == 0)
        rc = cs_fail(err, sizeof(err), CS_ERR_NOT_FOUND,
                     "no endpoint %s in the inventory (it is added by a discovery)", text);
    if (rc == CS_OK && f.matches > 1)
        rc = cs_fail(err, sizeof(err), CS_ERR_USAGE,
                     "endpoint %s is in %d networks: name one with --network", text, f.matches);
    if (rc == CS_OK) {
        f.found.monitored = on;
        rc = cs_store_endpoint_put(s, &f.found, err, sizeof(err));
    }
    cs_endpoint_row_clear(&f.found);
    if (rc != CS_OK) {
        fprintf(stderr, "certsweep endpoints: %s\n", err);
        return cs_cli_exit_for(rc);
    }
    return CS_EXIT_OK;
}

int cs_cmd_endpoints(int argc, char **argv)
{
    struct cs_listing l = {.format = cs_listing_default_format(),
                           .cols = endpoint_cols,
                           .ncols = sizeof(endpoint_cols) / sizeof(endpoint_cols[0])};
    struct cs_endpoint_filter filter = {0};
    const char *network = NULL, *status = NULL, *action = NULL, *target = NULL;
    char err[CS_ERRLEN];

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--network") == 0 && i + 1 < argc)
            network = argv[++i];
        else if (strcmp(argv[i], "--status") == 0 && i + 1 < argc)
            status = argv[++i];
        else if (strcmp(argv[i], "--monitored") == 0)
            filter.monitored_only = true;
        else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            if (!cs_listing_parse_format(argv[++i], &l.format, "endpoints"))
                return CS_EXIT_USAGE;
        } else if (strcmp(argv[i], "--help") == 0) {
            printf("usage: certsweep endpoints [--network NAME] [--status STATUS] [--monitored]\n"
                   "                           [--format table|jsonl|csv]\n"
                   "       certsweep endpoints monitor|unmonitor IP:PORT[/SNI] [--network NAME]\n");
            return CS_EXIT_OK;
        } else if (action == NULL &&
                   (strcmp(argv[i], "monitor") == 0 || strcmp(argv[i], "unmonitor") == 0) &&
                   i + 1 < argc) {
            action = argv[i];
            target = argv[++i];
        } else {
            fprintf(stderr, "certsweep endpoints: unexpected '%s'; try --help\n", argv[i]);
            return CS_EXIT_USAGE;
        }
    }
    enum cs_status st;
    if (status != NULL) {
        if (!cs_status_parse(status, &st)) {
            fprintf(stderr, "certsweep endpoints: unknown status '%s'\n", status);
            return CS_EXIT_USAGE;
        }
        filter.status = (int)st + 1;
    }
    struct cs_store *s = cs_cli_open_store("endpoints");
    if (s == NULL)
        return CS_EXIT_RUNTIME;
    int exit_status = CS_EXIT_OK;
    if (action != NULL) {
        exit_status = set_monitored(s, target, network, strcmp(action, "monitor") == 0);
    } else {
        enum cs_rc rc = network_id_of(s, network, &filter.network_id, err, sizeof(err));
        if (rc == CS_OK) {
            cs_listing_emit(&l, NULL);
            rc = cs_store_endpoint_list(s, &filter, print_endpoint, &l, err, sizeof(err));
        }
        if (rc != CS_OK) {
            fprintf(stderr, "certsweep endpoints: %s\n", err);
            exit_status = cs_cli_exit_for(rc);
        }
    }
    cs_store_close(&s);
    return exit_status;
}

/* ---- certs --------------------------------------------------------------- */

static const struct cs_column cert_cols[] = {
    {"not_after", 20}, {"days_left", 9}, {"subject_cn", 28}, {"issuer", 30},
    {"ip", 16},        {"port", 5},      {"sni", 16},        {"sha256", 16},
};

struct certs_ctx {
    struct cs_listing l;
    time_t now;
};

static void print_cert(const struct cs_cert_row *c, const struct cs_endpoint_row *ep, void *arg)
{
    struct certs_ctx *ctx = arg;
    char days[24], port[8], sha[17];
    long long left = c->not_after_epoch ? (long long)(c->not_after_epoch - ctx->now) : 0;
    snprintf(days, sizeof(days), "%lld", left >= 0 ? left / 86400 : -((-left + 86399) / 86400));
    snprintf(port, sizeof(port), "%u", ep->port);
    snprintf(sha, sizeof(sha), "%.16s", c->sha256);
    const char *values[] = {
        c->not_after,
        days,
        c->subject_cn,
        c->issuer,
        ep->ip,
        port,
        ep->sni && ep->sni[0] ? ep->sni : NULL,
        ctx->l.format == CS_FORMAT_TABLE ? sha : c->sha256,
    };
    cs_listing_emit(&ctx->l, values);
}

int cs_cmd_certs(int argc, char **argv)
{
    struct certs_ctx ctx = {.l = {.format = cs_listing_default_format(),
                                  .cols = cert_cols,
                                  .ncols = sizeof(cert_cols) / sizeof(cert_cols[0])},
                            .now = time(NULL)};
    struct cs_cert_filter filter = {0};
    const char *network = NULL;
    char err[CS_ERRLEN], *end;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--network") == 0 && i + 1 < argc) {
            network = argv[++i];
        } else if (strcmp(argv[i], "--expiring") == 0 && i + 1 < argc) {
            long days = strtol(argv[++i], &end, 10);
            if (*end || days < 0 || days > 36500) {
                fprintf(stderr, "certsweep certs: invalid --expiring '%s': expected days\n",
                        argv[i]);
                return CS_EXIT_USAGE;
            }
            filter.expires_before = ctx.now + days * 86400;
        } else if (strcmp(argv[i], "--expired") == 0) {
            filter.expires_before = ctx.now;
        } else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            if (!cs_listing_parse_format(argv[++i], &ctx.l.format, "certs"))
                return CS_EXIT_USAGE;
        } else if (strcmp(argv[i], "--help") == 0) {
            printf("usage: certsweep certs [--expiring DAYS | --expired] [--network NAME]\n"
                   "                       [--format table|jsonl|csv]\n\n"
                   "Lists the certificates endpoints present now, soonest expiry first.\n");
            return CS_EXIT_OK;
        } else {
            fprintf(stderr, "certsweep certs: unexpected '%s'; try --help\n", argv[i]);
            return CS_EXIT_USAGE;
        }
    }
    struct cs_store *s = cs_cli_open_store("certs");
    if (s == NULL)
        return CS_EXIT_RUNTIME;
    enum cs_rc rc = network_id_of(s, network, &filter.network_id, err, sizeof(err));
    if (rc == CS_OK) {
        cs_listing_emit(&ctx.l, NULL);
        rc = cs_store_cert_list(s, &filter, print_cert, &ctx, err, sizeof(err));
    }
    if (rc != CS_OK)
        fprintf(stderr, "certsweep certs: %s\n", err);
    cs_store_close(&s);
    return rc == CS_OK ? CS_EXIT_OK : cs_cli_exit_for(rc);
}
