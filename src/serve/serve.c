/*
 * `certsweep serve` (serve.h): setting up, the main loop and shutting
 * down. The main loop sleeps in poll() on a signalfd (SIGTERM, SIGINT,
 * SIGHUP, SIGCHLD) and an eventfd (the HTTP thread's wake-ups) until the
 * next due time, then reaps the children that ended, plans (scheduler.h),
 * starts what is due, pauses or resumes jobs for quiet hours and has the
 * outbox delivered.
 */
#include "serve.h"
#include "children.h"
#include "httpd.h"
#include "scheduler.h"
#include "shared.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
    OUTBOX_CHECK_S = 15,  /* how often pending messages are looked for */
    MAX_SLEEP_MS = 15000, /* the loop plans again at least this often */
    STOP_GRACE_MS = 2000, /* on top of the jobs' own timeouts at shutdown */
    MAX_PEM = 1 << 20,    /* a TLS certificate or key file larger than this is refused */
};

#define DEFAULT_LISTEN "127.0.0.1:8080"

void cs_serve_log(const char *fmt, ...)
{
    char line[2048], when[21];
    va_list ap;
    size_t n;

    cs_store_format_time(time(NULL), when);
    n = (size_t)snprintf(line, sizeof(line), "%s certsweep serve: ", when);
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
    va_end(ap);
    n = strlen(line);
    line[n] = '\n';
    /* One write per line, so that lines of both threads and of the
     * children, which share stderr, do not mix. */
    if (write(STDERR_FILENO, line, n + 1) < 0)
        return;
}

/* ---- setting up ------------------------------------------------------------------ */

/* ADDRESS:PORT or [IPV6]:PORT; "localhost" is 127.0.0.1. */
static enum cs_rc parse_listen(const char *text, struct sockaddr_storage *ss, socklen_t *len,
                               char *err, size_t errlen)
{
    char host[64];
    const char *port_text;
    char *end;

    memset(ss, 0, sizeof(*ss));
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (close == NULL || close[1] != ':' || (size_t)(close - text - 1) >= sizeof(host))
            goto bad;
        memcpy(host, text + 1, (size_t)(close - text - 1));
        host[close - text - 1] = '\0';
        port_text = close + 2;
    } else {
        const char *colon = strrchr(text, ':');
        if (colon == NULL || (size_t)(colon - text) >= sizeof(host))
            goto bad;
        memcpy(host, text, (size_t)(colon - text));
        host[colon - text] = '\0';
        port_text = colon + 1;
    }
    unsigned long port = strtoul(port_text, &end, 10);
    if (*port_text < '0' || *port_text > '9' || *end != '\0' || port > 65535)
        goto bad;
    if (strcmp(host, "localhost") == 0)
        strcpy(host, "127.0.0.1");
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (text[0] != '[' && inet_pton(AF_INET, host, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        *len = sizeof(*in);
        return CS_OK;
    }
    if (text[0] == '[' && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*in6);
        return CS_OK;
    }
bad:
    return cs_fail(err, errlen, CS_ERR_USAGE,
                   "invalid --listen '%s': expected ADDRESS:PORT with a numeric address, such "
                   "as 127.0.0.1:8080 or [::1]:8080",
                   text);
}

/* Reads a whole PEM file into *out (the caller frees it). */
static enum cs_rc read_pem(const char *what, const char *path, char **out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    enum cs_rc rc = CS_OK;
    char *buf = NULL;
    size_t n;

    *out = NULL;
    if (f == NULL)
        return cs_fail(err, errlen, CS_ERR_USAGE, "cannot read %s '%s': %s", what, path,
                       strerror(errno));
    if ((buf = malloc(MAX_PEM + 1)) == NULL) {
        rc = cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
        goto out;
    }
    n = fread(buf, 1, MAX_PEM + 1, f);
    if (ferror(f) || n > MAX_PEM || n == 0) {
        rc = cs_fail(err, errlen, CS_ERR_USAGE, "cannot read %s '%s': %s", what, path,
                     ferror(f) ? strerror(errno)
                     : n == 0  ? "empty file"
                               : "file too large");
        goto out;
    }
    buf[n] = '\0';
    *out = buf;
    buf = NULL;
out:
    free(buf);
    fclose(f);
    return rc;
}

static void count_token(const struct cs_token_row *row, void *arg)
{
    (*(unsigned *)arg)++;
}

/*
 * Loopback unless told otherwise; anywhere else, the API would be open to
 * the network: TLS and a token are both required, and the message says
 * exactly which is missing.
 */
static enum cs_rc check_exposure(const struct sockaddr *addr, const char *listen, bool tls,
                                 struct cs_store *store, char *err, size_t errlen)
{
    unsigned tokens = 0;
    enum cs_rc rc;

    if (cs_httpd_is_loopback(addr))
        return CS_OK;
    if ((rc = cs_store_token_list(store, count_token, &tokens, err, errlen)) != CS_OK)
        return rc;
    if (!tls || tokens == 0)
        return cs_fail(err, errlen, CS_ERR_USAGE,
                       "refusing to listen on %s, which is not a loopback address, without %s%s%s",
                       listen, tls ? "" : "TLS (--tls-cert and --tls-key)",
                       !tls && tokens == 0 ? " and " : "",
                       tokens == 0 ? "an API token ('certsweep token create NAME')" : "");
    return CS_OK;
}

/* ---- the loop's state ------------------------------------------------------------ */

struct serve {
    const struct cs_serve_opts *opts;
    struct cs_serve_shared shared;
    struct cs_store *store; /* the main thread's */
    struct cs_sched *sched;
    struct cs_httpd *httpd;
    int sig_fd;
    bool stopping;
    time_t outbox_checked; /* 0: look now */
};

static bool network_busy(int64_t network_id, void *arg)
{
    struct serve *sv = arg;
    return cs_children_network_busy(sv->shared.children, network_id, NULL);
}

static bool alert_busy(int64_t alert_id, void *arg)
{
    struct serve *sv = arg;
    return cs_children_alert_busy(sv->shared.children, alert_id);
}

static void describe_status(int status, char *buf, size_t len)
{
    if (WIFEXITED(status))
        snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "killed by signal %d", WTERMSIG(status));
    else
        snprintf(buf, len, "wait status %d", status);
}

/* Marks the jobs of a network left running by a dead process interrupted,
 * and says so. */
static void recover_network(struct serve *sv, int64_t network_id, const char *name)
{
    char err[CS_ERRLEN];
    enum cs_rc rc = cs_shared_recover(sv->shared.db, network_id, err, sizeof(err));

    if (rc != CS_OK && rc != CS_ERR_BUSY)
        cs_serve_log("network '%s': cannot check for interrupted jobs: %s", name, err);
}

static void on_child_exit(const struct cs_child *child, int status, void *arg)
{
    struct serve *sv = arg;
    char how[64];

    describe_status(status, how, sizeof(how));
    if (child->what == CS_CHILD_JOB) {
        cs_serve_log("job finished: pid %ld, network '%s', %s: %s after %lld s", (long)child->pid,
                     child->name, cs_job_kind_name(child->kind), how,
                     (long long)(time(NULL) - child->started));
        /* A job that died without recording its end (a crash, SIGKILL)
         * left its row running: marked interrupted now, rerun by the plan. */
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            recover_network(sv, child->id, child->name);
    } else if (child->what == CS_CHILD_ALERT) {
        cs_serve_log("alert finished: pid %ld, alert '%s': %s", (long)child->pid, child->name, how);
    } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        cs_serve_log("outbox delivery: pid %ld: %s (the messages stay in the outbox)",
                     (long)child->pid, how);
    }
    /* Whatever ended may have queued messages. */
    sv->outbox_checked = 0;
}

struct recover_ctx {
    int64_t *ids;
    char **names;
    size_t count;
};

static void collect_network(const struct cs_network *net, void *arg)
{
    struct recover_ctx *ctx = arg;
    int64_t *ids = realloc(ctx->ids, (ctx->count + 1) * sizeof(*ids));
    if (ids != NULL)
        ctx->ids = ids;
    char **names = realloc(ctx->names, (ctx->count + 1) * sizeof(*names));
    if (names != NULL)
        ctx->names = names;
    if (ids == NULL || names == NULL || (ctx->names[ctx->count] = strdup(net->name)) == NULL)
        return;
    ctx->ids[ctx->count++] = net->id;
}

/* At start: jobs still `running` from a serve (or a job) that is gone. */
static void recover_all(struct serve *sv)
{
    struct recover_ctx ctx = {0};
    char err[CS_ERRLEN];

    if (cs_store_network_list(sv->store, collect_network, &ctx, err, sizeof(err)) != CS_OK)
        cs_serve_log("cannot list the networks: %s", err);
    for (size_t i = 0; i < ctx.count; i++) {
        for (int k = 0; k < 3; k++) {
            struct cs_job job = {0};
            if (cs_store_job_latest(sv->store, ctx.ids[i], (enum cs_job_kind)k, &job, err,
                                    sizeof(err)) != CS_OK)
                continue;
            bool running = job.state == CS_JOB_RUNNING;
            int64_t id = job.id;
            cs_job_clear(&job);
            if (!running)
                continue;
            enum cs_rc rc = cs_shared_recover(sv->shared.db, ctx.ids[i], err, sizeof(err));
            if (rc == CS_OK)
                cs_serve_log("job %lld of network '%s' was left running by a process that is "
                             "gone: marked interrupted, due again",
                             (long long)id, ctx.names[i]);
            else if (rc == CS_ERR_BUSY)
                cs_serve_log("network '%s': %s; its jobs wait until it ends", ctx.names[i], err);
            else
                cs_serve_log("network '%s': %s", ctx.names[i], err);
            break;
        }
        free(ctx.names[i]);
    }
    free(ctx.ids);
    free(ctx.names);
}

/* ---- one turn of the loop -------------------------------------------------------- */

/* Starts, skips or leaves each entry of the plan. */
static void act(struct serve *sv, struct cs_sched_plan *plan, time_t now)
{
    char err[CS_ERRLEN];
    pid_t pid = 0;

    for (size_t i = 0; i < plan->count; i++) {
        const struct cs_sched_entry *e = &plan->entries[i];
        const char *what = e->what == CS_SCHED_JOB ? cs_job_kind_name(e->kind) : "alert";
        enum cs_rc rc;

        switch (e->d.action) {
        case CS_SCHED_START:
            if (e->what == CS_SCHED_JOB)
                rc = cs_children_spawn_job(sv->shared.children, e->id, e->name, e->kind,
                                           e->timeout_ms, &pid, err, sizeof(err));
            else
                rc = cs_children_spawn_alert(sv->shared.children, e->id, e->name, &pid, err,
                                             sizeof(err));
            if (rc == CS_OK) {
                cs_sched_note_spawn(sv->sched, e, now);
                if (e->what == CS_SCHED_JOB)
                    cs_serve_log("job started: pid %ld, network '%s', %s", (long)pid, e->name,
                                 what);
                else
                    cs_serve_log("alert started: pid %ld, alert '%s'", (long)pid, e->name);
            } else {
                cs_sched_note_skip(sv->sched, e, now);
                cs_serve_log("skipped: %s of '%s' is due: %s", what, e->name, err);
            }
            break;
        case CS_SCHED_BUSY: {
            pid_t running = 0;
            cs_sched_note_skip(sv->sched, e, now);
            if (cs_children_network_busy(sv->shared.children, e->id, &running))
                cs_serve_log("skipped: %s of network '%s' is due, but a job of it still runs "
                             "(pid %ld)",
                             what, e->name, (long)running);
            else
                cs_serve_log("skipped: %s of network '%s' is due, but a job of it runs in "
                             "another process",
                             what, e->name);
            break;
        }
        case CS_SCHED_BAD:
            if (cs_sched_note_bad(sv->sched, e))
                cs_serve_log("%s of '%s' is never started: %s", what, e->name, e->d.why);
            break;
        default:
            break;
        }
    }
}

struct pause_ctx {
    const struct cs_sched_plan *plan;
};

/*
 * SIGUSR1 to a job when its network enters its quiet hours (it starts no
 * new connection), SIGUSR2 once they end. Only on a change seen while the
 * job runs: a job started by hand inside the window is left alone, and a
 * job is never signalled before serve has looked at it once (a process
 * that has just been exec'd has no handler yet, and would die of it).
 */
static int pause_or_resume(struct cs_child *child, void *arg)
{
    const struct pause_ctx *ctx = arg;

    if (child->what != CS_CHILD_JOB || child->stopped)
        return 0;
    for (size_t i = 0; i < ctx->plan->count; i++) {
        const struct cs_sched_entry *e = &ctx->plan->entries[i];
        if (e->what != CS_SCHED_JOB || e->id != child->id)
            continue;
        int was = child->quiet;
        child->quiet = e->d.quiet_now ? 2 : 1;
        if (was == 1 && e->d.quiet_now && !child->paused) {
            cs_serve_log("quiet hours of network '%s': job pid %ld paused", child->name,
                         (long)child->pid);
            return SIGUSR1;
        }
        if (!e->d.quiet_now && child->paused) {
            cs_serve_log("quiet hours of network '%s' ended: job pid %ld resumed", child->name,
                         (long)child->pid);
            return SIGUSR2;
        }
        return 0;
    }
    return 0;
}

static void count_due(const struct cs_outbox_row *row, void *arg)
{
    (*(unsigned *)arg)++;
}

/* Starts `outbox send` when a message is due and none runs. */
static void drain_outbox(struct serve *sv, time_t now)
{
    struct cs_outbox_filter filter = {.state = CS_OUTBOX_PENDING + 1, .due = now, .limit = 1};
    char err[CS_ERRLEN];
    unsigned due = 0;
    pid_t pid;

    if (sv->outbox_checked != 0 && now - sv->outbox_checked < OUTBOX_CHECK_S)
        return;
    sv->outbox_checked = now;
    if (cs_children_count(sv->shared.children, CS_CHILD_OUTBOX) > 0)
        return;
    if (cs_store_outbox_list(sv->store, &filter, count_due, &due, err, sizeof(err)) != CS_OK) {
        cs_serve_log("outbox: %s", err);
        return;
    }
    if (due > 0 && cs_children_spawn_outbox(sv->shared.children, &pid, err, sizeof(err)) != CS_OK)
        cs_serve_log("outbox: %s", err);
}

static void reload_config(struct serve *sv)
{
    struct cs_config fresh = {0};
    char err[CS_ERRLEN];

    if (cs_config_load(sv->opts->config_path, &fresh, err, sizeof(err)) != CS_OK) {
        cs_serve_log("SIGHUP: the configuration is not reloaded, the old one stays: %s", err);
        cs_config_clear(&fresh);
        return;
    }
    pthread_mutex_lock(&sv->shared.config_lock);
    cs_config_clear(&sv->shared.config);
    sv->shared.config = fresh;
    atomic_store(&sv->shared.metrics_token, fresh.serve.metrics_token);
    pthread_mutex_unlock(&sv->shared.config_lock);
    cs_serve_log("SIGHUP: configuration reloaded%s%s (jobs read it as they start)",
                 fresh.path ? " from " : "", fresh.path ? fresh.path : "");
}

/* Reads the pending signals; returns false on a read error. */
static void read_signals(struct serve *sv)
{
    struct signalfd_siginfo si;

    while (read(sv->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
            if (!sv->stopping)
                cs_serve_log("%s: stopping", si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
            sv->stopping = true;
        } else if (si.ssi_signo == SIGHUP) {
            reload_config(sv);
        }
    }
}

/* Sleeps until the next due time, a signal, a child's end or a wake-up. */
static void sleep_until(struct serve *sv, time_t next_wake, time_t now)
{
    struct pollfd fds[2] = {{.fd = sv->sig_fd, .events = POLLIN},
                            {.fd = sv->shared.wake_fd, .events = POLLIN}};
    int timeout = MAX_SLEEP_MS;
    uint64_t count;

    if (next_wake > 0 && (next_wake - now) * 1000 < timeout)
        timeout = next_wake > now ? (int)(next_wake - now) * 1000 : 0;
    if (poll(fds, 2, timeout) > 0) {
        if (fds[0].revents & POLLIN)
            read_signals(sv);
        if ((fds[1].revents & POLLIN) &&
            read(sv->shared.wake_fd, &count, sizeof(count)) != (ssize_t)sizeof(count))
            cs_serve_log("wake-up: %s", strerror(errno));
    }
}

static void run_loop(struct serve *sv)
{
    const struct cs_sched_running running = {network_busy, alert_busy, sv};
    char err[CS_ERRLEN];

    while (!sv->stopping) {
        struct cs_sched_plan plan = {0};
        time_t now = time(NULL);

        cs_children_reap(sv->shared.children, on_child_exit, sv);
        if (cs_sched_plan(sv->sched, sv->store, now, &running, &plan, err, sizeof(err)) == CS_OK) {
            act(sv, &plan, now);
            struct pause_ctx pctx = {.plan = &plan};
            cs_children_each(sv->shared.children, pause_or_resume, &pctx);
        } else {
            cs_serve_log("cannot plan: %s", err);
            plan.next_wake = now + 5;
        }
        drain_outbox(sv, now);
        time_t wake = plan.next_wake;
        if (wake == 0 || wake > sv->outbox_checked + OUTBOX_CHECK_S)
            wake = sv->outbox_checked + OUTBOX_CHECK_S;
        cs_sched_plan_clear(&plan);
        /* Something started now is planned again at once (its skip or the
         * next slot); the loop never spins faster than once a second. */
        sleep_until(sv, wake > now ? wake : now + 1, now);
    }
}

struct stop_ctx {
    unsigned max_timeout_ms;
};

static int widest_timeout(struct cs_child *child, void *arg)
{
    struct stop_ctx *ctx = arg;
    if (child->what == CS_CHILD_JOB && child->timeout_ms > ctx->max_timeout_ms)
        ctx->max_timeout_ms = child->timeout_ms;
    return 0;
}

/* Stops the children: SIGTERM, then as long as the widest connect +
 * download timeout among their networks (plus a grace), then SIGKILL. */
static void stop_children(struct serve *sv)
{
    struct stop_ctx ctx = {0};
    struct timespec start, t;

    if (cs_children_running(sv->shared.children) == 0)
        return;
    cs_children_each(sv->shared.children, widest_timeout, &ctx);
    long budget_ms = (long)ctx.max_timeout_ms + STOP_GRACE_MS;
    cs_serve_log("stopping %u child process(es); waiting up to %ld ms",
                 cs_children_running(sv->shared.children), budget_ms);
    cs_children_signal_all(sv->shared.children, SIGTERM);
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        cs_children_reap(sv->shared.children, on_child_exit, sv);
        if (cs_children_running(sv->shared.children) == 0)
            return;
        clock_gettime(CLOCK_MONOTONIC, &t);
        long elapsed = (t.tv_sec - start.tv_sec) * 1000 + (t.tv_nsec - start.tv_nsec) / 1000000;
        if (elapsed >= budget_ms)
            break;
        struct pollfd fd = {.fd = sv->sig_fd, .events = POLLIN};
        long left = budget_ms - elapsed;
        if (poll(&fd, 1, left < 200 ? (int)left : 200) > 0) {
            struct signalfd_siginfo si;
            while (read(sv->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
                if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM)
                    budget_ms = 0; /* asked twice: no more waiting */
        }
    }
    cs_serve_log("killing %u child process(es) that did not stop in time",
                 cs_children_running(sv->shared.children));
    cs_children_signal_all(sv->shared.children, SIGKILL);
    for (int i = 0; i < 100 && cs_children_running(sv->shared.children) > 0; i++) {
        cs_children_reap(sv->shared.children, on_child_exit, sv);
        usleep(20000);
    }
}

/* ---- the whole --------------------------------------------------------------------- */

enum cs_rc cs_serve_run(const struct cs_serve_opts *opts, char *err, size_t errlen)
{
    struct serve sv = {.opts = opts, .sig_fd = -1};
    struct sockaddr_storage addr;
    socklen_t addrlen = 0;
    char *cert_pem = NULL, *key_pem = NULL;
    const char *listen, *tls_cert, *tls_key;
    sigset_t mask, old_mask;
    bool mask_set = false;
    enum cs_rc rc;

    sv.shared.wake_fd = -1;
    pthread_mutex_init(&sv.shared.config_lock, NULL);
    sv.shared.db = opts->db;
    sv.shared.started = time(NULL);
    if ((rc = cs_config_load(opts->config_path, &sv.shared.config, err, errlen)) != CS_OK) {
        rc = CS_ERR_USAGE;
        goto out;
    }
    atomic_store(&sv.shared.metrics_token, sv.shared.config.serve.metrics_token);
    listen = opts->listen                    ? opts->listen
             : sv.shared.config.serve.listen ? sv.shared.config.serve.listen
                                             : DEFAULT_LISTEN;
    tls_cert = opts->tls_cert ? opts->tls_cert : sv.shared.config.serve.tls_cert;
    tls_key = opts->tls_key ? opts->tls_key : sv.shared.config.serve.tls_key;
    if ((rc = parse_listen(listen, &addr, &addrlen, err, errlen)) != CS_OK)
        goto out;
    if ((tls_cert == NULL) != (tls_key == NULL)) {
        rc = cs_fail(err, errlen, CS_ERR_USAGE, "%s without %s: TLS needs both",
                     tls_cert ? "--tls-cert" : "--tls-key", tls_cert ? "--tls-key" : "--tls-cert");
        goto out;
    }
    if ((rc = cs_store_open(opts->db, &sv.store, err, errlen)) != CS_OK ||
        (rc = check_exposure((struct sockaddr *)&addr, listen, tls_cert != NULL, sv.store, err,
                             errlen)) != CS_OK)
        goto out;
    if (tls_cert != NULL &&
        ((rc = read_pem("the TLS certificate", tls_cert, &cert_pem, err, errlen)) != CS_OK ||
         (rc = read_pem("the TLS key", tls_key, &key_pem, err, errlen)) != CS_OK))
        goto out;
    if ((rc = cs_children_new(opts->db, opts->config_path, &sv.shared.children, err, errlen)) !=
            CS_OK ||
        (rc = cs_sched_new(sv.shared.started, &sv.sched, err, errlen)) != CS_OK)
        goto out;

    /* The signals are read from a signalfd by the main thread: blocked
     * before the HTTP thread exists, so that it inherits the mask and never
     * takes them. The children unblock them before exec. */
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    sigaddset(&mask, SIGCHLD);
    signal(SIGPIPE, SIG_IGN);
    if (pthread_sigmask(SIG_BLOCK, &mask, &old_mask) != 0 ||
        (sv.sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
        (sv.shared.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
        rc = cs_fail(err, errlen, CS_ERR_RUNTIME, "cannot set up signals: %s", strerror(errno));
        goto out;
    }
    mask_set = true;

    recover_all(&sv);
    if ((rc = cs_httpd_start((struct sockaddr *)&addr, addrlen, cert_pem, key_pem, &sv.shared,
                             &sv.httpd, err, errlen)) != CS_OK)
        goto out;
    {
        char host[INET6_ADDRSTRLEN] = "";
        if (addr.ss_family == AF_INET)
            inet_ntop(AF_INET, &((struct sockaddr_in *)&addr)->sin_addr, host, sizeof(host));
        else
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&addr)->sin6_addr, host, sizeof(host));
        cs_serve_log("listening on %s://%s%s%s:%u/ (API under /api/v1/), inventory %s",
                     cert_pem ? "https" : "http", addr.ss_family == AF_INET6 ? "[" : "", host,
                     addr.ss_family == AF_INET6 ? "]" : "", cs_httpd_port(sv.httpd), opts->db);
    }

    run_loop(&sv);

    /* Nothing new from now on: no request, no job; then the jobs stop. */
    cs_httpd_stop(&sv.httpd);
    stop_children(&sv);
    cs_serve_log("stopped");
    rc = CS_OK;
out:
    cs_httpd_stop(&sv.httpd);
    if (sv.shared.children != NULL && cs_children_running(sv.shared.children) > 0)
        stop_children(&sv);
    cs_children_free(&sv.shared.children);
    cs_sched_free(&sv.sched);
    cs_store_close(&sv.store);
    if (sv.sig_fd >= 0)
        close(sv.sig_fd);
    if (sv.shared.wake_fd >= 0)
        close(sv.shared.wake_fd);
    if (mask_set)
        pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    cs_config_clear(&sv.shared.config);
    pthread_mutex_destroy(&sv.shared.config_lock);
    if (key_pem != NULL)
        memset(key_pem, 0, strlen(key_pem));
    free(key_pem);
    free(cert_pem);
    return rc;
}
