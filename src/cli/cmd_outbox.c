/* certsweep outbox [--failed|--all] | outbox show ID | outbox send | outbox retry ID */
#include "cli.h"
#include "config.h"
#include "listing.h"
#include "outbox.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char outbox_help[] =
    "usage: certsweep outbox [--failed | --all] [--format table|jsonl|csv]\n"
    "       certsweep outbox show ID\n"
    "       certsweep outbox send\n"
    "       certsweep outbox retry ID\n"
    "\n"
    "Every notification goes through the outbox of the inventory: it is written\n"
    "with the result that causes it, then delivered. A failed delivery is tried\n"
    "again by later runs, waiting longer each time ([outbox] in the config), and\n"
    "marked failed after max_attempts.\n"
    "\n"
    "  (no command)  list the messages not sent yet: pending and failed\n"
    "  --failed      only those that failed for good; --all: sent ones too\n"
    "  show ID       one message, whole, with its delivery state\n"
    "  send          deliver every message that is due now\n"
    "  retry ID      make a pending or failed message due now, with a fresh\n"
    "                count of attempts, and deliver what is due\n";

/* What a message is about in one line: its subject or syslog text. */
static const char *summary_of(const cJSON *payload)
{
    const cJSON *subject = cJSON_GetObjectItemCaseSensitive(payload, "subject");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(payload, "msg");
    if (cJSON_IsString(subject))
        return subject->valuestring;
    return cJSON_IsString(msg) ? msg->valuestring : "";
}

static void on_delivered(const struct cs_outbox_row *row, void *arg)
{
    const char *cmd = arg;
    if (row->state == CS_OUTBOX_SENT)
        return;
    char when[21] = "";
    cs_store_format_time(row->next_attempt_at, when);
    fprintf(stderr, "certsweep %s: message %lld (%s) not delivered, attempt %u: %s%s%s\n", cmd,
            (long long)row->id, row->channel, row->attempts, row->last_error,
            row->state == CS_OUTBOX_FAILED ? "; marked failed" : "; next attempt at ",
            row->state == CS_OUTBOX_FAILED ? "" : when);
}

int cs_cli_deliver_outbox(const char *cmd, struct cs_store *store, bool verbose)
{
    const struct cs_config *cfg = cs_cli_config(cmd);
    struct cs_outbox_stats stats;
    char err[CS_ERRLEN];

    if (cfg == NULL)
        return CS_EXIT_USAGE;
    if (cs_outbox_deliver(store, cfg, time(NULL), on_delivered, (void *)cmd, &stats, err,
                          sizeof(err)) != CS_OK) {
        fprintf(stderr, "certsweep %s: outbox: %s\n", cmd, err);
        return CS_EXIT_RUNTIME;
    }
    if (verbose || stats.sent || stats.retry || stats.failed)
        fprintf(stderr, "certsweep %s: outbox: %u sent, %u to retry, %u failed, %u waiting\n", cmd,
                stats.sent, stats.retry, stats.failed, stats.waiting);
    return stats.retry || stats.failed ? CS_EXIT_RUNTIME : CS_EXIT_OK;
}

static const struct cs_column outbox_cols[] = {
    {"id", 6},         {"state", 8},       {"channel", 7},          {"kind", 13},
    {"attempts", 8},   {"created_at", 20}, {"next_attempt_at", 20}, {"summary", 40},
    {"last_error", 0},
};

struct list_ctx {
    struct cs_listing l;
    bool all;
};

static void print_row(const struct cs_outbox_row *row, void *arg)
{
    struct list_ctx *ctx = arg;
    char id[24], attempts[12], created[21], next[21] = "";

    if (row->state == CS_OUTBOX_SENT && !ctx->all)
        return;
    snprintf(id, sizeof(id), "%lld", (long long)row->id);
    snprintf(attempts, sizeof(attempts), "%u", row->attempts);
    cs_store_format_time(row->created_at, created);
    if (row->state == CS_OUTBOX_PENDING)
        cs_store_format_time(row->next_attempt_at, next);
    cJSON *payload = cJSON_Parse(row->payload);
    const char *values[] = {id,
                            cs_outbox_state_name(row->state),
                            row->channel,
                            row->kind,
                            attempts,
                            created,
                            next[0] ? next : NULL,
                            summary_of(payload),
                            row->last_error[0] ? row->last_error : NULL};
    cs_listing_emit(&ctx->l, values);
    cJSON_Delete(payload);
}

static int show(struct cs_store *store, const char *id_text)
{
    struct cs_outbox_row row = {0};
    char err[CS_ERRLEN], *end, t[21];
    long long id = strtoll(id_text, &end, 10);
    enum cs_rc rc;

    if (*id_text == '\0' || *end != '\0' || id <= 0) {
        fprintf(stderr, "certsweep outbox: invalid message id '%s'\n", id_text);
        return CS_EXIT_USAGE;
    }
    if ((rc = cs_store_outbox_get(store, id, &row, err, sizeof(err))) != CS_OK) {
        fprintf(stderr, "certsweep outbox: %s\n", err);
        return cs_cli_exit_for(rc);
    }
    printf("id               %lld\n", (long long)row.id);
    printf("idempotency key  %s\n", row.idem_key);
    printf("channel          %s\n", row.channel);
    printf("kind             %s\n", row.kind);
    printf("state            %s\n", cs_outbox_state_name(row.state));
    printf("attempts         %u\n", row.attempts);
    cs_store_format_time(row.created_at, t);
    printf("created at       %s\n", t);
    if (row.last_attempt_at) {
        cs_store_format_time(row.last_attempt_at, t);
        printf("last attempt at  %s\n", t);
    }
    if (row.state == CS_OUTBOX_PENDING) {
        cs_store_format_time(row.next_attempt_at, t);
        printf("next attempt at  %s\n", t);
    }
    if (row.sent_at) {
        cs_store_format_time(row.sent_at, t);
        printf("sent at          %s\n", t);
    }
    printf("last error       %s\n", row.last_error[0] ? row.last_error : "-");
    cJSON *payload = cJSON_Parse(row.payload);
    char *pretty = payload ? cJSON_Print(payload) : NULL;
    printf("message\n%s\n", pretty ? pretty : row.payload);
    free(pretty);
    cJSON_Delete(payload);
    cs_outbox_row_clear(&row);
    return CS_EXIT_OK;
}

static int retry(struct cs_store *store, const char *id_text)
{
    char err[CS_ERRLEN], *end;
    long long id = strtoll(id_text, &end, 10);
    enum cs_rc rc;

    if (*id_text == '\0' || *end != '\0' || id <= 0) {
        fprintf(stderr, "certsweep outbox: invalid message id '%s'\n", id_text);
        return CS_EXIT_USAGE;
    }
    if ((rc = cs_store_outbox_retry(store, id, time(NULL), err, sizeof(err))) != CS_OK) {
        fprintf(stderr, "certsweep outbox: %s\n", err);
        return cs_cli_exit_for(rc);
    }
    return cs_cli_deliver_outbox("outbox", store, true);
}

int cs_cmd_outbox(int argc, char **argv)
{
    struct list_ctx ctx = {.l = {.format = cs_listing_default_format(),
                                 .cols = outbox_cols,
                                 .ncols = sizeof(outbox_cols) / sizeof(outbox_cols[0])}};
    struct cs_outbox_filter filter = {0};
    struct cs_store *store = NULL;
    const char *action = NULL, *id = NULL;
    char err[CS_ERRLEN];
    int status;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(outbox_help, stdout);
            return CS_EXIT_OK;
        } else if (strcmp(argv[i], "--failed") == 0) {
            filter.state = CS_OUTBOX_FAILED + 1;
        } else if (strcmp(argv[i], "--all") == 0) {
            ctx.all = true;
        } else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            if (!cs_listing_parse_format(argv[++i], &ctx.l.format, "outbox"))
                return CS_EXIT_USAGE;
        } else if (action == NULL && argv[i][0] != '-' &&
                   (strcmp(argv[i], "send") == 0 || strcmp(argv[i], "retry") == 0 ||
                    strcmp(argv[i], "show") == 0)) {
            action = argv[i];
        } else if (action != NULL && strcmp(action, "send") != 0 && id == NULL &&
                   argv[i][0] != '-') {
            id = argv[i];
        } else {
            fprintf(stderr, "certsweep outbox: unexpected '%s'; try 'certsweep outbox --help'\n",
                    argv[i]);
            return CS_EXIT_USAGE;
        }
    }
    if (action != NULL && strcmp(action, "send") != 0 && id == NULL) {
        fprintf(stderr, "certsweep outbox %s: expected a message id\n", action);
        return CS_EXIT_USAGE;
    }
    if ((store = cs_cli_open_store("outbox")) == NULL)
        return CS_EXIT_RUNTIME;
    if (action == NULL) {
        enum cs_rc rc = cs_store_outbox_list(store, &filter, print_row, &ctx, err, sizeof(err));
        if (rc != CS_OK) {
            fprintf(stderr, "certsweep outbox: %s\n", err);
            status = cs_cli_exit_for(rc);
        } else {
            if (ctx.l.format != CS_FORMAT_JSONL)
                cs_listing_emit(&ctx.l, NULL);
            status = CS_EXIT_OK;
        }
    } else if (strcmp(action, "show") == 0) {
        status = show(store, id);
    } else if (strcmp(action, "retry") == 0) {
        status = retry(store, id);
    } else {
        status = cs_cli_deliver_outbox("outbox", store, true);
    }
    cs_store_close(&store);
    return status;
}
