/* What scan-like commands share: target arguments made into a plan, the
 * open-file limit, numbers on the command line. */
#include "cli.h"
#include "resolve.h"
#include "target.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

bool cs_cli_parse_uint(const char *text, unsigned min, unsigned max, unsigned *out)
{
    char *end;
    if (text[0] < '0' || text[0] > '9')
        return false;
    unsigned long v = strtoul(text, &end, 10);
    if (*end != '\0' || v < min || v > max)
        return false;
    *out = (unsigned)v;
    return true;
}

int cs_cli_plan(const char *cmd, const struct cs_cli_target_args *a, struct cs_plan **plan)
{
    struct cs_target_list targets = {0}, excludes = {0};
    struct cs_portlist default_ports = {0};
    char err[CS_ERRLEN] = "";
    int status = CS_EXIT_USAGE;
    unsigned flags = a->allow_large ? CS_TARGET_ALLOW_LARGE : 0;

    *plan = NULL;
    if (cs_portlist_parse(a->ports, &default_ports, err, sizeof(err)) != CS_OK)
        goto out;
    for (size_t i = 0; i < a->ntargets; i++)
        if (cs_target_add_arg(&targets, a->targets[i], flags, err, sizeof(err)) != CS_OK)
            goto out;
    for (size_t i = 0; i < a->nexcludes; i++)
        if (cs_target_add_arg(&excludes, a->excludes[i], CS_TARGET_ALLOW_LARGE, err, sizeof(err)) !=
            CS_OK)
            goto out;
    if (targets.count == 0) {
        snprintf(err, sizeof(err), "no targets given; try 'certsweep %s --help'", cmd);
        goto out;
    }
    struct cs_target_list *lists[] = {&targets, &excludes};
    struct cs_resolve_opts ropts = {.servers = a->dns_servers,
                                    .timeout_ms = (int)a->dns_timeout_ms};
    enum cs_rc rc = cs_resolve_targets(lists, 2, &ropts, err, sizeof(err));
    if (rc != CS_OK) {
        status = rc == CS_ERR_USAGE ? CS_EXIT_USAGE : CS_EXIT_RUNTIME;
        goto out;
    }
    status = CS_EXIT_RUNTIME;
    if (cs_plan_build(&targets, &excludes, &default_ports, a->sni, plan, err, sizeof(err)) != CS_OK)
        goto out;
    status = CS_EXIT_OK;
out:
    if (status != CS_EXIT_OK)
        fprintf(stderr, "certsweep %s: %s\n", cmd, err);
    cs_portlist_free(&default_ports);
    cs_target_list_free(&targets);
    cs_target_list_free(&excludes);
    return status;
}

void cs_cli_fit_concurrency(const char *cmd, unsigned *concurrency, bool quiet)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    rlim_t cap = rl.rlim_cur > 96 ? rl.rlim_cur - 32 : 64;
    if (*concurrency > cap) {
        if (!quiet)
            fprintf(stderr,
                    "certsweep %s: warning: concurrency %u exceeds the open-file limit "
                    "(%llu); using %llu\n",
                    cmd, *concurrency, (unsigned long long)rl.rlim_cur, (unsigned long long)cap);
        *concurrency = (unsigned)cap;
    }
}
