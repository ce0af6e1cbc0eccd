/* The child processes of `certsweep serve` (children.h). */
#define _GNU_SOURCE /* close_range */
#include "children.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

enum {
    MAX_ARGS = 16,
    RECENT = 64, /* exits remembered for cs_children_exited */
};

struct exited {
    pid_t pid;
    int status;
};

struct cs_children {
    pthread_mutex_t lock;
    char *db, *config;
    struct cs_child *run;
    size_t count, cap;
    struct exited recent[RECENT];
    size_t next_recent;
};

enum cs_rc cs_children_new(const char *db, const char *config, struct cs_children **out, char *err,
                           size_t errlen)
{
    struct cs_children *c = calloc(1, sizeof(*c));

    *out = NULL;
    if (c == NULL || (c->db = strdup(db)) == NULL ||
        (config != NULL && (c->config = strdup(config)) == NULL)) {
        if (c != NULL)
            free(c->db);
        free(c);
        return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_init(&c->lock, NULL);
    *out = c;
    return CS_OK;
}

void cs_children_free(struct cs_children **c)
{
    if (c == NULL || *c == NULL)
        return;
    pthread_mutex_destroy(&(*c)->lock);
    free((*c)->db);
    free((*c)->config);
    free((*c)->run);
    free(*c);
    *c = NULL;
}

/*
 * The child's side of fork: only async-signal-safe calls, since the other
 * thread of serve may have held any lock (malloc's) when we forked. It ends
 * in exec or _exit.
 */
static void exec_child(char *const argv[], pid_t parent)
{
    sigset_t none;
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    int fd;

    /* serve blocks the signals it reads from a signalfd, and ignores
     * SIGPIPE; both would survive exec. */
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, NULL);
    sigaction(SIGPIPE, &dfl, NULL);
    /* If serve dies, even by kill -9, the job is told to stop and records
     * itself as interrupted. The signal follows the thread that forked; both
     * of serve's threads live until serve stops its children anyway. */
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
        _exit(125);
    if ((fd = open("/dev/null", O_RDWR)) >= 0) {
        dup2(fd, STDIN_FILENO);
        dup2(fd, STDOUT_FILENO);
        if (fd > STDERR_FILENO)
            close(fd);
    }
    /* The listening socket, the store's files and the signalfd are serve's,
     * not the job's. */
    if (close_range(3, ~0u, 0) != 0)
        for (fd = 3; fd < 4096; fd++)
            close(fd);
    execv("/proc/self/exe", argv);
    _exit(127);
}

/* Forks and execs argv, and records the child; under the lock. */
static enum cs_rc spawn_locked(struct cs_children *c, const struct cs_child *proto,
                               char *const argv[], pid_t *pid_out, char *err, size_t errlen)
{
    pid_t parent = getpid(), pid;

    if (c->count == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        struct cs_child *grown = realloc(c->run, cap * sizeof(*grown));
        if (grown == NULL)
            return cs_fail(err, errlen, CS_ERR_NOMEM, "out of memory");
        c->run = grown;
        c->cap = cap;
    }
    if ((pid = fork()) < 0)
        return cs_fail(err, errlen, CS_ERR_RUNTIME, "cannot start a process: %s", strerror(errno));
    if (pid == 0)
        exec_child(argv, parent);
    c->run[c->count] = *proto;
    c->run[c->count].pid = pid;
    c->run[c->count].started = time(NULL);
    c->count++;
    if (pid_out != NULL)
        *pid_out = pid;
    return CS_OK;
}

/* argv[0], --db, --config: the start of every child's command line. */
static size_t common_args(const struct cs_children *c, const char *argv[])
{
    size_t n = 0;
    argv[n++] = "certsweep";
    argv[n++] = "--db";
    argv[n++] = c->db;
    if (c->config != NULL) {
        argv[n++] = "--config";
        argv[n++] = c->config;
    }
    return n;
}

static const struct cs_child *find(const struct cs_children *c, enum cs_child_what what, int64_t id)
{
    for (size_t i = 0; i < c->count; i++)
        if (c->run[i].what == what && (what == CS_CHILD_OUTBOX || c->run[i].id == id))
            return &c->run[i];
    return NULL;
}

enum cs_rc cs_children_spawn_job(struct cs_children *c, int64_t network_id, const char *network,
                                 enum cs_job_kind kind, unsigned timeout_ms, pid_t *pid, char *err,
                                 size_t errlen)
{
    static const char *const commands[] = {
        [CS_JOB_DISCOVERY] = "discover",
        [CS_JOB_MONITORING] = "monitor",
        [CS_JOB_VULNSCAN] = "vulnscan",
    };
    struct cs_child proto = {
        .what = CS_CHILD_JOB, .id = network_id, .kind = kind, .timeout_ms = timeout_ms};
    const char *argv[MAX_ARGS];
    const struct cs_child *running;
    size_t n = common_args(c, argv);
    enum cs_rc rc;

    snprintf(proto.name, sizeof(proto.name), "%s", network);
    argv[n++] = commands[kind];
    argv[n++] = "-q";
    argv[n++] = "--format";
    argv[n++] = "json";
    argv[n++] = "--";
    argv[n++] = network;
    argv[n] = NULL;
    pthread_mutex_lock(&c->lock);
    if ((running = find(c, CS_CHILD_JOB, network_id)) != NULL)
        rc = cs_fail(err, errlen, CS_ERR_BUSY, "network '%s' has a %s job running (pid %ld)",
                     network, cs_job_kind_name(running->kind), (long)running->pid);
    else
        rc = spawn_locked(c, &proto, (char *const *)argv, pid, err, errlen);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

enum cs_rc cs_children_spawn_alert(struct cs_children *c, int64_t alert_id, const char *name,
                                   pid_t *pid, char *err, size_t errlen)
{
    struct cs_child proto = {.what = CS_CHILD_ALERT, .id = alert_id};
    const char *argv[MAX_ARGS];
    size_t n = common_args(c, argv);
    enum cs_rc rc;

    snprintf(proto.name, sizeof(proto.name), "%s", name);
    argv[n++] = "alert";
    argv[n++] = "run";
    argv[n++] = name;
    argv[n] = NULL;
    pthread_mutex_lock(&c->lock);
    if (find(c, CS_CHILD_ALERT, alert_id) != NULL)
        rc = cs_fail(err, errlen, CS_ERR_BUSY, "alert '%s' still runs", name);
    else
        rc = spawn_locked(c, &proto, (char *const *)argv, pid, err, errlen);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

enum cs_rc cs_children_spawn_outbox(struct cs_children *c, pid_t *pid, char *err, size_t errlen)
{
    struct cs_child proto = {.what = CS_CHILD_OUTBOX, .name = "outbox"};
    const char *argv[MAX_ARGS];
    size_t n = common_args(c, argv);
    enum cs_rc rc;

    argv[n++] = "outbox";
    argv[n++] = "send";
    argv[n] = NULL;
    pthread_mutex_lock(&c->lock);
    if (find(c, CS_CHILD_OUTBOX, 0) != NULL)
        rc = cs_fail(err, errlen, CS_ERR_BUSY, "the outbox is being delivered");
    else
        rc = spawn_locked(c, &proto, (char *const *)argv, pid, err, errlen);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

bool cs_children_network_busy(struct cs_children *c, int64_t network_id, pid_t *pid)
{
    pthread_mutex_lock(&c->lock);
    const struct cs_child *child = find(c, CS_CHILD_JOB, network_id);
    if (child != NULL && pid != NULL)
        *pid = child->pid;
    pthread_mutex_unlock(&c->lock);
    return child != NULL;
}

bool cs_children_alert_busy(struct cs_children *c, int64_t alert_id)
{
    pthread_mutex_lock(&c->lock);
    bool busy = find(c, CS_CHILD_ALERT, alert_id) != NULL;
    pthread_mutex_unlock(&c->lock);
    return busy;
}

unsigned cs_children_count(struct cs_children *c, enum cs_child_what what)
{
    unsigned n = 0;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->count; i++)
        n += c->run[i].what == what;
    pthread_mutex_unlock(&c->lock);
    return n;
}

unsigned cs_children_running(struct cs_children *c)
{
    pthread_mutex_lock(&c->lock);
    unsigned n = (unsigned)c->count;
    pthread_mutex_unlock(&c->lock);
    return n;
}

bool cs_children_exited(struct cs_children *c, pid_t pid, int *status)
{
    bool found = false;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < RECENT && !found; i++) {
        if (c->recent[i].pid == pid) {
            found = true;
            *status = c->recent[i].status;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return found;
}

void cs_children_reap(struct cs_children *c,
                      void (*fn)(const struct cs_child *child, int status, void *arg), void *arg)
{
    for (;;) {
        struct cs_child gone = {0};
        bool ours = false;
        int status;

        /* waitpid under the lock: a pid freed by it could be reused at
         * once, and must leave the table before anyone signals it. */
        pthread_mutex_lock(&c->lock);
        pid_t pid = waitpid(-1, &status, WNOHANG);
        for (size_t i = 0; pid > 0 && i < c->count && !ours; i++) {
            if (c->run[i].pid == pid) {
                gone = c->run[i];
                c->run[i] = c->run[--c->count];
                ours = true;
            }
        }
        if (pid > 0) {
            c->recent[c->next_recent] = (struct exited){pid, status};
            c->next_recent = (c->next_recent + 1) % RECENT;
        }
        pthread_mutex_unlock(&c->lock);
        if (pid <= 0)
            break;
        if (ours && fn != NULL)
            fn(&gone, status, arg);
    }
}

void cs_children_each(struct cs_children *c, int (*fn)(struct cs_child *child, void *arg),
                      void *arg)
{
    struct cs_child *copy = NULL;
    size_t n;

    pthread_mutex_lock(&c->lock);
    n = c->count;
    if (n > 0 && (copy = malloc(n * sizeof(*copy))) != NULL)
        memcpy(copy, c->run, n * sizeof(*copy));
    pthread_mutex_unlock(&c->lock);
    for (size_t i = 0; copy != NULL && i < n; i++) {
        int sig = fn(&copy[i], arg);
        pthread_mutex_lock(&c->lock);
        /* Only if it still runs: a reaped pid may be reused by anyone. */
        for (size_t j = 0; j < c->count; j++) {
            if (c->run[j].pid != copy[i].pid)
                continue;
            c->run[j].quiet = copy[i].quiet;
            if (sig == 0)
                continue;
            kill(copy[i].pid, sig);
            if (sig == SIGUSR1 || sig == SIGUSR2)
                c->run[j].paused = sig == SIGUSR1;
            if (sig == SIGTERM)
                c->run[j].stopped = true;
        }
        pthread_mutex_unlock(&c->lock);
    }
    free(copy);
}

void cs_children_signal_all(struct cs_children *c, int sig)
{
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->count; i++) {
        kill(c->run[i].pid, sig);
        if (sig == SIGTERM)
            c->run[i].stopped = true;
    }
    pthread_mutex_unlock(&c->lock);
}
