/* The scheduler of `certsweep serve` (scheduler.h). */
#include "scheduler.h"
#include "schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NEVER ((time_t)-1)

const char *cs_sched_action_name(enum cs_sched_action action)
{
    static const char *const names[] = {
        [CS_SCHED_NEVER] = "never", [CS_SCHED_WAIT] = "wait", [CS_SCHED_START] = "start",
        [CS_SCHED_QUIET] = "quiet", [CS_SCHED_BUSY] = "busy", [CS_SCHED_BAD] = "bad",
    };
    return (unsigned)action < sizeof(names) / sizeof(names[0]) ? names[action] : "?";
}

static time_t later(time_t a, time_t b)
{
    return a > b ? a : b;
}

void cs_sched_decide(const struct cs_sched_input *in, struct cs_sched_decision *out)
{
    struct cs_schedule *schedule = NULL;
    struct cs_quiet *quiet = NULL;
    char why[256];

    memset(out, 0, sizeof(*out));
    out->action = CS_SCHED_NEVER;
    out->due = NEVER;
    if (cs_quiet_parse(in->quiet_hours ? in->quiet_hours : "", &quiet, why, sizeof(why)) != CS_OK) {
        out->action = CS_SCHED_BAD;
        snprintf(out->why, sizeof(out->why), "quiet hours '%.100s': %s", in->quiet_hours, why);
        goto out;
    }
    out->quiet_now = cs_quiet_at(quiet, in->now, &out->quiet_end);
    if (cs_schedule_parse(in->schedule ? in->schedule : "", &schedule, why, sizeof(why)) != CS_OK) {
        out->action = CS_SCHED_BAD;
        snprintf(out->why, sizeof(out->why), "schedule '%.100s': %s", in->schedule, why);
        goto out;
    }
    if (in->schedule == NULL || in->schedule[0] == '\0')
        goto out;

    if (in->latest != NULL && in->latest->state == CS_JOB_INTERRUPTED) {
        /* Rerun what was cut short, but not in a loop if it keeps dying. */
        time_t retry = later(in->last_spawn, in->last_skip);
        out->due = later(in->latest->started_at, retry ? retry + CS_SCHED_RETRY_S : 0);
    } else {
        time_t last = in->latest != NULL ? in->latest->started_at : in->last_run;
        last = later(last, later(in->last_spawn, in->last_skip));
        out->due = cs_schedule_next(schedule, last, in->since);
    }
    if (out->due == NEVER)
        goto out;
    if (out->due > in->now) {
        out->action = CS_SCHED_WAIT;
    } else if (out->quiet_now) {
        out->action = CS_SCHED_QUIET;
        out->until = out->quiet_end;
    } else {
        out->action = in->busy ? CS_SCHED_BUSY : CS_SCHED_START;
    }
out:
    cs_schedule_free(&schedule);
    cs_quiet_free(&quiet);
}

/* ---- what serve remembers -------------------------------------------------- */

struct memory {
    enum cs_sched_what what;
    int64_t id;
    enum cs_job_kind kind;
    char *text; /* the schedule text since was measured for */
    time_t since, last_spawn, last_skip;
    bool bad_reported; /* the text does not parse, and that was said */
};

struct cs_sched {
    time_t started;
    struct memory *mem;
    size_t count, cap;
};

enum cs_rc cs_sched_new(time_t started, struct cs_sched **out, char *err, size_t errlen)
{
    *out = calloc(1, sizeof(**out));
    if (*out == NULL)
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    (*out)->started = started;
    return CS_OK;
}

void cs_sched_free(struct cs_sched **sched)
{
    if (sched == NULL || *sched == NULL)
        return;
    for (size_t i = 0; i < (*sched)->count; i++)
        free((*sched)->mem[i].text);
    free((*sched)->mem);
    free(*sched);
    *sched = NULL;
}

/* The memory of an entry, created on first sight; NULL when out of memory
 * (the entry is then planned as if serve had just started). A changed
 * schedule text starts a new `since`, so that a new cron schedule waits for
 * its first slot instead of running at once. */
static struct memory *remember(struct cs_sched *sched, enum cs_sched_what what, int64_t id,
                               enum cs_job_kind kind, const char *text, time_t now)
{
    struct memory *m = NULL;

    for (size_t i = 0; i < sched->count && m == NULL; i++)
        if (sched->mem[i].what == what && sched->mem[i].id == id && sched->mem[i].kind == kind)
            m = &sched->mem[i];
    if (m == NULL) {
        if (sched->count == sched->cap) {
            size_t cap = sched->cap ? sched->cap * 2 : 16;
            struct memory *grown = realloc(sched->mem, cap * sizeof(*grown));
            if (grown == NULL)
                return NULL;
            sched->mem = grown;
            sched->cap = cap;
        }
        m = &sched->mem[sched->count];
        *m = (struct memory){.what = what, .id = id, .kind = kind, .since = sched->started};
        if ((m->text = strdup(text)) == NULL)
            return NULL;
        sched->count++;
    } else if (strcmp(m->text, text) != 0) {
        char *copy = strdup(text);
        if (copy == NULL)
            return NULL;
        free(m->text);
        m->text = copy;
        m->since = now;
        m->bad_reported = false;
    }
    return m;
}

static struct memory *find_memory(struct cs_sched *sched, const struct cs_sched_entry *e)
{
    for (size_t i = 0; i < sched->count; i++)
        if (sched->mem[i].what == e->what && sched->mem[i].id == e->id &&
            sched->mem[i].kind == e->kind)
            return &sched->mem[i];
    return NULL;
}

void cs_sched_note_spawn(struct cs_sched *sched, const struct cs_sched_entry *e, time_t now)
{
    struct memory *m = find_memory(sched, e);
    if (m != NULL)
        m->last_spawn = now;
}

void cs_sched_note_skip(struct cs_sched *sched, const struct cs_sched_entry *e, time_t now)
{
    struct memory *m = find_memory(sched, e);
    if (m != NULL)
        m->last_skip = now;
}

bool cs_sched_note_bad(struct cs_sched *sched, const struct cs_sched_entry *e)
{
    struct memory *m = find_memory(sched, e);
    bool first = m != NULL && !m->bad_reported;
    if (m != NULL)
        m->bad_reported = true;
    return first;
}

/* ---- plans ------------------------------------------------------------------ */

const char *cs_sched_network_schedule(const struct cs_network *net, enum cs_job_kind kind)
{
    const char *text = kind == CS_JOB_DISCOVERY    ? net->discover_every
                       : kind == CS_JOB_MONITORING ? net->monitor_every
                                                   : net->vulnscan_every;
    return text ? text : "";
}

void cs_sched_plan_clear(struct cs_sched_plan *plan)
{
    for (size_t i = 0; i < plan->count; i++) {
        free(plan->entries[i].name);
        free(plan->entries[i].quiet_hours);
    }
    free(plan->entries);
    memset(plan, 0, sizeof(*plan));
}

/* Rows read in the store's callbacks, copied (rows live for the call only). */
struct rows {
    struct cs_network *nets;
    size_t nnets;
    struct cs_alert *alerts;
    size_t nalerts;
    bool nomem;
};

static char *dup_or_empty(const char *s, bool *nomem)
{
    char *copy = strdup(s ? s : "");
    *nomem |= copy == NULL;
    return copy;
}

static void copy_network(const struct cs_network *net, void *arg)
{
    struct rows *r = arg;
    struct cs_network *grown = realloc(r->nets, (r->nnets + 1) * sizeof(*grown));
    if (grown == NULL) {
        r->nomem = true;
        return;
    }
    r->nets = grown;
    struct cs_network *n = &r->nets[r->nnets++];
    *n = (struct cs_network){
        .id = net->id,
        .enabled = net->enabled,
        .connect_timeout_ms = net->connect_timeout_ms,
        .download_timeout_ms = net->download_timeout_ms,
    };
    n->name = dup_or_empty(net->name, &r->nomem);
    n->discover_every = dup_or_empty(net->discover_every, &r->nomem);
    n->monitor_every = dup_or_empty(net->monitor_every, &r->nomem);
    n->vulnscan_every = dup_or_empty(net->vulnscan_every, &r->nomem);
    n->quiet_hours = dup_or_empty(net->quiet_hours, &r->nomem);
}

static void copy_alert(const struct cs_alert *alert, void *arg)
{
    struct rows *r = arg;
    struct cs_alert *grown = realloc(r->alerts, (r->nalerts + 1) * sizeof(*grown));
    if (grown == NULL) {
        r->nomem = true;
        return;
    }
    r->alerts = grown;
    struct cs_alert *a = &r->alerts[r->nalerts++];
    *a = (struct cs_alert){.id = alert->id, .last_run_at = alert->last_run_at};
    a->name = dup_or_empty(alert->name, &r->nomem);
    a->run_every = dup_or_empty(alert->run_every, &r->nomem);
}

static void rows_clear(struct rows *r)
{
    for (size_t i = 0; i < r->nnets; i++)
        cs_network_clear(&r->nets[i]);
    for (size_t i = 0; i < r->nalerts; i++)
        cs_alert_clear(&r->alerts[i]);
    free(r->nets);
    free(r->alerts);
}

static struct cs_sched_entry *add_entry(struct cs_sched_plan *plan, size_t *cap)
{
    if (plan->count == *cap) {
        size_t n = *cap ? *cap * 2 : 16;
        struct cs_sched_entry *grown = realloc(plan->entries, n * sizeof(*grown));
        if (grown == NULL)
            return NULL;
        plan->entries = grown;
        *cap = n;
    }
    struct cs_sched_entry *e = &plan->entries[plan->count++];
    memset(e, 0, sizeof(*e));
    return e;
}

static void wake_at(struct cs_sched_plan *plan, time_t t, time_t now)
{
    if (t != NEVER && t > now && (plan->next_wake == 0 || t < plan->next_wake))
        plan->next_wake = t;
}

/* The newest job of each kind of a network: loaded[k] false when none. */
static enum cs_rc latest_jobs(struct cs_store *s, int64_t network_id, struct cs_job jobs[3],
                              bool loaded[3], char *err, size_t errlen)
{
    for (int k = 0; k < 3; k++) {
        enum cs_rc rc =
            cs_store_job_latest(s, network_id, (enum cs_job_kind)k, &jobs[k], err, errlen);
        loaded[k] = rc == CS_OK;
        if (rc != CS_OK && rc != CS_ERR_NOT_FOUND)
            return rc;
    }
    return CS_OK;
}

enum cs_rc cs_sched_plan(struct cs_sched *sched, struct cs_store *s, time_t now,
                         const struct cs_sched_running *running, struct cs_sched_plan *plan,
                         char *err, size_t errlen)
{
    struct rows rows = {0};
    size_t cap = 0;
    enum cs_rc rc;

    memset(plan, 0, sizeof(*plan));
    if ((rc = cs_store_network_list(s, copy_network, &rows, err, errlen)) != CS_OK ||
        (rc = cs_store_alert_list(s, copy_alert, &rows, err, errlen)) != CS_OK)
        goto out;
    if (rows.nomem) {
        rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < rows.nnets; i++) {
        const struct cs_network *net = &rows.nets[i];
        struct cs_job jobs[3] = {{0}};
        bool loaded[3] = {false};
        bool busy = running && running->network_busy(net->id, running->arg);

        rc = latest_jobs(s, net->id, jobs, loaded, err, errlen);
        for (int k = 0; rc == CS_OK && k < 3; k++)
            busy |= loaded[k] && jobs[k].state == CS_JOB_RUNNING;
        for (int k = 0; rc == CS_OK && k < 3; k++) {
            const char *text = net->enabled ? cs_sched_network_schedule(net, k) : "";
            struct memory *m = remember(sched, CS_SCHED_JOB, net->id, k, text, now);
            struct cs_sched_entry *e = add_entry(plan, &cap);
            if (e == NULL || m == NULL) {
                rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
                break;
            }
            struct cs_sched_input in = {
                .schedule = text,
                .quiet_hours = net->quiet_hours,
                .latest = loaded[k] ? &jobs[k] : NULL,
                .since = m->since,
                .last_spawn = m->last_spawn,
                .last_skip = m->last_skip,
                .busy = busy,
                .now = now,
            };
            e->what = CS_SCHED_JOB;
            e->id = net->id;
            e->kind = k;
            e->timeout_ms = net->connect_timeout_ms + net->download_timeout_ms;
            e->name = strdup(net->name);
            e->quiet_hours = strdup(net->quiet_hours);
            if (e->name == NULL || e->quiet_hours == NULL)
                rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
            cs_sched_decide(&in, &e->d);
            wake_at(plan, e->d.action == CS_SCHED_WAIT ? e->d.due : e->d.until, now);
            if (e->d.quiet_now)
                wake_at(plan, e->d.quiet_end, now);
        }
        for (int k = 0; k < 3; k++)
            if (loaded[k])
                cs_job_clear(&jobs[k]);
        if (rc != CS_OK)
            goto out;
    }
    for (size_t i = 0; i < rows.nalerts; i++) {
        const struct cs_alert *a = &rows.alerts[i];
        struct memory *m = remember(sched, CS_SCHED_ALERT, a->id, 0, a->run_every, now);
        struct cs_sched_entry *e = add_entry(plan, &cap);
        if (e == NULL || m == NULL || (e->name = strdup(a->name)) == NULL) {
            rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
            goto out;
        }
        struct cs_sched_input in = {
            .schedule = a->run_every,
            .last_run = a->last_run_at,
            .since = m->since,
            .last_spawn = m->last_spawn,
            .last_skip = m->last_skip,
            .busy = running && running->alert_busy(a->id, running->arg),
            .now = now,
        };
        e->what = CS_SCHED_ALERT;
        e->id = a->id;
        cs_sched_decide(&in, &e->d);
        wake_at(plan, e->d.due, now);
    }
out:
    rows_clear(&rows);
    return rc;
}

time_t cs_sched_next_due(const struct cs_network *net, enum cs_job_kind kind,
                         const struct cs_job *latest, time_t since, time_t now)
{
    struct cs_sched_decision d;
    struct cs_sched_input in = {
        .schedule = net->enabled ? cs_sched_network_schedule(net, kind) : "",
        .quiet_hours = net->quiet_hours,
        .latest = latest,
        .since = since,
        .now = now,
    };

    cs_sched_decide(&in, &d);
    switch (d.action) {
    case CS_SCHED_WAIT:
        return d.due;
    case CS_SCHED_QUIET:
        return d.until;
    case CS_SCHED_START:
    case CS_SCHED_BUSY:
        return now;
    default:
        return NEVER;
    }
}
