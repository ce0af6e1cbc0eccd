/*
 * libFuzzer harness for the answers of the ticketing systems and webhook
 * receivers: ServiceDesk Plus (on-premises and cloud, with its OAuth
 * token endpoint), ServiceNow (basic auth and OAuth), Jira (Cloud and Data
 * Center), PagerDuty, Slack, Teams and generic webhooks. The backends of
 * ticket_*.c and the channel of webhook.c parse what these servers send
 * (cJSON, then ids, statuses, SDP's response_status, Jira's transitions,
 * error words); here every answer comes from the fuzz input, through
 * http.h's test transport.
 *
 * Input: three bytes, then answers until the input ends.
 *   byte 0   the section (SYSTEMS below)
 *   byte 1   the operation: for a ticketing system find_open, is_open,
 *            create, add_note, close, or all of them in the order of
 *            ticket.h's decision table; for a webhook raise, resolve or
 *            notify
 *   byte 2   flags (FLAG_*)
 *   answers  each: status (2 bytes, big-endian; 0xffff is a transport
 *            failure), a Retry-After value (1 length byte and the text,
 *            read by cs_http_retry_after_parse), the body (2 length bytes,
 *            big-endian, and the bytes, cut to what is left)
 * A request past the last answer fails as a refused connection would.
 *
 * Besides memory errors and leaks, the harness checks what ticket.h and
 * notify.h promise: a known result; a failure's err is NUL-terminated
 * within errlen, not empty, and holds no credential of the section (nor a
 * start of one); CS_OK only after a 2xx (Slack: "ok"), with a non-empty
 * ticket id and number from find_open and create; CS_ERR_BUSY only after a
 * 429 or 503, with a wait of at most a day; and that no request the
 * answers shape (ids in URLs, the OAuth token in a header) carries a line
 * end, a space, a control byte or a dot segment.
 */
#define _GNU_SOURCE /* strcasestr */
#include "config.h"
#include "http.h"
#include "notify.h"
#include "ticket.h"
#include "webhook.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    FLAG_SHORT_ERR = 1 << 0, /* a small error buffer: messages are cut */
    FLAG_ODD_KEY = 1 << 1,   /* a long key with markup and query characters */
    FLAG_HUGE = 1 << 2,      /* the first answer's body is over CS_HTTP_BODY_MAX */
    MAX_REQUESTS = 64,       /* answered per input; later ones are refused */
    SHORT_ERRLEN = 40,
    SENTINEL = 'X', /* fills err beyond errlen: nothing may write there */
};

/* 2026-11-23T07:00:00Z: "now" for Retry-After dates. */
#define NOW ((time_t)1795417200)

/* A credential of a section may not reach an error text, nor a start of
 * one as long as PREFIX_MIN (unless an answer itself holds such a start:
 * a server may echo part of a URL). */
#define PREFIX_MIN 8
#define MAX_SECRETS 3

static const char config_text[] =
    "[ticketing.sdp]\n"
    "type = servicedeskplus\n"
    "url = https://sdp.example.com:8080/\n"
    "authtoken = SdpAuthT0kenQ7W3E9R1\n"
    "requester = Bot\n"
    "priority = High\n"
    "category = PKI\n"
    "technician_group = Ops\n"
    "[ticketing.sdpcloud]\n"
    "type = servicedeskplus\n"
    "url = https://sdpondemand.manageengine.com/app/itdesk\n"
    "oauth_client_id = 1000.ZOHOCLIENTID\n"
    "oauth_client_secret = ZohoCl1entS3cretK4L8\n"
    "oauth_refresh_token = 1000.ZohoRefr3shM2N6B5\n"
    "[ticketing.snow]\n"
    "type = servicenow\n"
    "url = https://acme.service-now.com\n"
    "username = certsweep.bot\n"
    "password = SnowPassw0rdH5J9G2\n"
    "caller_id = certsweep.bot\n"
    "assignment_group = PKI\n"
    "urgency = 2\n"
    "impact = 2\n"
    "[ticketing.snowoauth]\n"
    "type = servicenow\n"
    "url = https://acme.service-now.com/\n"
    "table = sn_si_incident\n"
    "oauth_client_id = snowclientid\n"
    "oauth_client_secret = SnowCl1entS3cretP3O7\n"
    "oauth_refresh_token = SnowRefr3shT0kenU8Y4\n"
    "[ticketing.jira]\n"
    "type = jira\n"
    "url = https://acme.atlassian.net\n"
    "project = OPS\n"
    "email = bot@example.com\n"
    "api_token = JiraApiT0kenX2C6V1\n"
    "[ticketing.jiradc]\n"
    "type = jira\n"
    "url = https://jira.example.com/jira/\n"
    "project = PKI\n"
    "issuetype = Bug\n"
    "done_transition = Resolve Issue\n"
    "pat = JiraPatT0kenF5D9S3\n"
    "[webhook.pd]\n"
    "type = pagerduty\n"
    "routing_key = PdR0utingKeyOfThirtyTwoChars0123\n"
    "[webhook.slack]\n"
    "type = slack\n"
    "url = https://hooks.slack.com/services/T0SLACK/B0HOOK/sl4ckW3bh00kS3cret\n"
    "[webhook.teams]\n"
    "type = teams\n"
    "url = https://prod-12.westeurope.logic.azure.com:443/workflows/te4msW0rkfl0w/triggers/"
    "manual/paths/invoke?api-version=2016-06-01&sig=te4msS1gnatur3Q1W2E3\n"
    "[webhook.generic]\n"
    "type = generic\n"
    "url = https://hooks.example.net/hooks/gener1cH00kPathA9\n"
    "bearer_token = GenericBear3rT0kenZ1\n";

/* The sections, in the order byte 0 picks them; the ticket id an
 * operation on an existing ticket is given; the section's credentials as
 * they must not appear in err (a webhook URL's path and Teams' sig). */
static const struct {
    const char *name;
    bool webhook;
    const char *ticket_id;
    const char *secrets[MAX_SECRETS];
} systems[] = {
    {"sdp", false, "100000000000123", {"SdpAuthT0kenQ7W3E9R1"}},
    {"sdpcloud", false, "168000000041005", {"ZohoCl1entS3cretK4L8", "1000.ZohoRefr3shM2N6B5"}},
    {"snow", false, "9d385017c611228701d22104cc95c371", {"SnowPassw0rdH5J9G2"}},
    {"snowoauth",
     false,
     "46f09e75a9fe198100f4ffd8d366d17b",
     {"SnowCl1entS3cretP3O7", "SnowRefr3shT0kenU8Y4"}},
    {"jira", false, "OPS-12", {"JiraApiT0kenX2C6V1"}},
    {"jiradc", false, "PKI-7", {"JiraPatT0kenF5D9S3"}},
    {"pd", true, NULL, {"PdR0utingKeyOfThirtyTwoChars0123"}},
    {"slack", true, NULL, {"/services/T0SLACK/B0HOOK/sl4ckW3bh00kS3cret"}},
    {"teams",
     true,
     NULL,
     {"/workflows/te4msW0rkfl0w/triggers/manual/paths/invoke", "te4msS1gnatur3Q1W2E3"}},
    {"generic", true, NULL, {"/hooks/gener1cH00kPathA9", "GenericBear3rT0kenZ1"}},
};
#define NSYSTEMS (sizeof(systems) / sizeof(systems[0]))

enum op { OP_FIND_OPEN, OP_IS_OPEN, OP_CREATE, OP_ADD_NOTE, OP_CLOSE, OP_ALL, NOPS };

/* The answers of one input, and what the last request got. */
struct answers {
    const uint8_t *p;
    size_t left;
    const char *const *secrets; /* the section's, MAX_SECRETS (NULL-padded) */
    unsigned echoed;            /* bit i: an answer held a start of secrets[i] */
    bool huge;
    unsigned requests;
    long last_status; /* -1: no answer yet (or a transport failure) */
    char last_body[4096];
    size_t last_body_len;
    bool last_body_cut; /* the answer was longer than last_body */
};

static struct cs_config cfg;
static bool cfg_ready;
/* FUZZ_VERBOSE=1 in the environment: each call's result and err on
 * stderr, to see what a seed reaches. */
static bool verbose;

static void check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_ticket_answers: %s\n", what);
        abort();
    }
}

/* Whether a URL's path holds a "." or ".." segment, which a client would
 * resolve to another endpoint than the one the caller built. */
static bool has_dot_segment(const char *url)
{
    const char *p = strstr(url, "://");
    p = p ? strchr(p + 3, '/') : NULL;
    size_t n = p ? strcspn(p, "?#") : 0;

    for (size_t i = 0; i < n; i++) {
        if (p[i] != '/')
            continue;
        size_t seg = strcspn(p + i + 1, "/?#");
        if ((seg == 1 && p[i + 1] == '.') || (seg == 2 && p[i + 1] == '.' && p[i + 2] == '.'))
            return true;
    }
    return false;
}

/* Whether body holds a start of secret (PREFIX_MIN or more of its first
 * characters, case aside) that is not the whole of it. */
static bool echoes_a_start(const uint8_t *body, size_t len, const char *secret)
{
    size_t slen = strlen(secret);

    for (size_t i = 0; i + PREFIX_MIN <= len; i++) {
        size_t m = 0;
        while (m < slen && i + m < len && tolower(body[i + m]) == tolower(secret[m]))
            m++;
        if (m >= PREFIX_MIN && m < slen)
            return true;
    }
    return false;
}

static enum cs_rc answer(void *arg, const char *method, const char *url, const char *const *headers,
                         const char *content_type, const char *body, struct cs_http_response *resp,
                         char *err, size_t errlen)
{
    struct answers *a = arg;
    static char *huge;
    (void)content_type;
    (void)body;

    /* What the backends send, shaped in part by earlier answers. */
    check(strcmp(method, "GET") == 0 || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 ||
              strcmp(method, "PATCH") == 0,
          "unknown method");
    check(cs_http_url_ok(url), "a request URL with a space or a control byte");
    check(!has_dot_segment(url), "a request URL with a dot segment");
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
        for (const unsigned char *h = (const unsigned char *)headers[i]; *h; h++)
            check(*h >= ' ' && *h != 127, "a header line with a line end or a control byte");

    a->last_status = -1;
    a->last_body_len = 0;
    if (++a->requests > MAX_REQUESTS || a->left < 2)
        return cs_fail(err, errlen, CS_ERR_IO, "Connection refused (no more answers)");
    unsigned status = (unsigned)a->p[0] << 8 | a->p[1];
    a->p += 2;
    a->left -= 2;
    if (status == 0xffff)
        return cs_fail(err, errlen, CS_ERR_IO, "Operation timed out after 30000 milliseconds");

    char retry_after[256] = "";
    if (a->left > 0) {
        size_t n = a->p[0] < a->left - 1 ? a->p[0] : a->left - 1;
        memcpy(retry_after, a->p + 1, n);
        retry_after[n] = '\0';
        a->p += 1 + n;
        a->left -= 1 + n;
    }
    size_t len = 0;
    if (a->left >= 2) {
        len = (size_t)a->p[0] << 8 | a->p[1];
        a->p += 2;
        a->left -= 2;
    }
    if (len > a->left)
        len = a->left;

    resp->status = (long)(status % 1000);
    resp->retry_after = cs_http_retry_after_parse(retry_after, NOW);
    resp->body = (const char *)a->p;
    resp->body_len = len;
    if (a->huge) {
        /* Once per input: an answer one byte over the cap. */
        a->huge = false;
        if (huge == NULL && (huge = malloc(CS_HTTP_BODY_MAX + 1)) != NULL)
            memset(huge, ' ', CS_HTTP_BODY_MAX + 1);
        if (huge != NULL) {
            resp->body = huge;
            resp->body_len = CS_HTTP_BODY_MAX + 1;
        }
    }
    for (size_t i = 0; i < MAX_SECRETS && a->secrets[i] != NULL; i++)
        if (echoes_a_start(a->p, len, a->secrets[i]))
            a->echoed |= 1u << i;
    a->last_status = resp->status;
    a->last_body_len = len < sizeof(a->last_body) ? len : sizeof(a->last_body);
    a->last_body_cut = len > sizeof(a->last_body);
    memcpy(a->last_body, a->p, a->last_body_len);
    a->p += len;
    a->left -= len;
    return CS_OK;
}

/* ---- the checks ---------------------------------------------------------- */

static bool is_2xx(long status)
{
    return status >= 200 && status <= 299;
}

/* err after a call that returned result; errlen of buf's size[] bytes. */
static void check_result(enum cs_rc result, const struct answers *a, const char *err, size_t errlen,
                         size_t size, unsigned retry_after_s)
{
    check(result == CS_OK || result == CS_ERR_USAGE || result == CS_ERR_NOMEM ||
              result == CS_ERR_IO || result == CS_ERR_NOT_FOUND || result == CS_ERR_BUSY,
          "a result the outbox does not know");
    for (size_t i = errlen; i < size; i++)
        check(err[i] == SENTINEL, "err written past errlen");
    check(retry_after_s <= 86400, "a wait of more than a day");
    if (result == CS_OK || result == CS_ERR_NOT_FOUND)
        return;
    check(memchr(err, '\0', errlen) != NULL, "err not NUL-terminated within errlen");
    check(err[0] != '\0', "a failure without a reason");
    if (result == CS_ERR_BUSY)
        check(a->last_status == 429 || a->last_status == 503, "busy without a 429 or 503");
    for (size_t i = 0; i < MAX_SECRETS && a->secrets[i] != NULL; i++) {
        const char *secret = a->secrets[i];
        char start[64];
        snprintf(start, sizeof(start), "%.*s", PREFIX_MIN, secret);
        if (strcasestr(err, secret) != NULL ||
            (strcasestr(err, start) != NULL && !(a->echoed & 1u << i))) {
            fprintf(stderr, "fuzz_ticket_answers: err shows (a start of) %s: %s\n", secret, err);
            abort();
        }
    }
}

static void check_ref(const struct cs_ticket_ref *ref)
{
    check(memchr(ref->id, '\0', sizeof(ref->id)) != NULL && ref->id[0] != '\0',
          "a ticket without an id");
    check(memchr(ref->number, '\0', sizeof(ref->number)) != NULL && ref->number[0] != '\0',
          "a ticket without a number");
}

/* ---- the operations ------------------------------------------------------ */

/* One input's client, answers and error buffer. */
struct call {
    struct cs_http *http;
    struct answers *a;
    char err[CS_ERRLEN];
    size_t errlen;
    unsigned retry_after_s;
};

/* Readies c for the next call: err all sentinel, no wait. */
static void call_reset(struct call *c)
{
    memset(c->err, SENTINEL, sizeof(c->err));
    c->retry_after_s = 0;
}

static void call_check(struct call *c, enum cs_rc result)
{
    if (verbose)
        fprintf(stderr, "  -> %d after %u requests, last status %ld: %.*s\n", (int)result,
                c->a->requests, c->a->last_status,
                result == CS_OK ? 0 : (int)strnlen(c->err, c->errlen), c->err);
    check_result(result, c->a, c->err, c->errlen, sizeof(c->err), c->retry_after_s);
}

/* A call that may only succeed after a 2xx. */
static void call_check_2xx(struct call *c, enum cs_rc result)
{
    call_check(c, result);
    if (result == CS_OK)
        check(is_2xx(c->a->last_status), "CS_OK without a 2xx");
}

static const struct cs_ticket_ops *ops_of(enum cs_remote_type type)
{
    switch (type) {
    case CS_REMOTE_SERVICEDESKPLUS:
        return &cs_ticket_servicedeskplus;
    case CS_REMOTE_SERVICENOW:
        return &cs_ticket_servicenow;
    default:
        return &cs_ticket_jira;
    }
}

/*
 * One operation of a ticketing backend, or (OP_ALL) the decision table of
 * ticket.h on one problem: find an open ticket of the key, else create
 * one; ask whether it is open; add a note; close it. Ticket ids a step
 * learns from an answer are what the next steps are given.
 */
static void ticket_ops(const struct cs_remote_config *rc, const char *ticket_id, enum op op,
                       const char *key, struct call *c)
{
    const struct cs_ticket_ops *ops = ops_of(rc->type);
    const char *subject = "SSL Certificate www.example.com expiry";
    const char *description = "The SSL Certificate of www.example.com:443 expires in 5 days.\n"
                              "Issuer: CN=R3, O=Let's Encrypt <ca@example> & \"friends\"";
    const char *note = "Still expiring: 4 days left.\r\nSubject: CN=www.example.com";
    struct cs_ticket_ref ref = {0};
    enum cs_rc result = CS_ERR_NOT_FOUND;
    bool all = op == OP_ALL;

    snprintf(ref.id, sizeof(ref.id), "%s", ticket_id);
    snprintf(ref.number, sizeof(ref.number), "%s", ticket_id);

    if (op == OP_FIND_OPEN || all) {
        struct cs_ticket_ref found = {0};
        call_reset(c);
        result =
            ops->find_open(c->http, rc, key, subject, &found, &c->retry_after_s, c->err, c->errlen);
        call_check_2xx(c, result);
        if (result == CS_OK) {
            check_ref(&found);
            ref = found;
        }
    }
    if (op == OP_CREATE || (all && result == CS_ERR_NOT_FOUND)) {
        struct cs_ticket_ref created = {0};
        call_reset(c);
        result = ops->create(c->http, rc, key, subject, description, "critical", &created,
                             &c->retry_after_s, c->err, c->errlen);
        call_check_2xx(c, result);
        check(result != CS_ERR_NOT_FOUND, "create found nothing");
        if (result == CS_OK) {
            check_ref(&created);
            ref = created;
        }
    }
    if (all && result != CS_OK)
        return;
    if (op == OP_IS_OPEN || all) {
        bool open = true;
        call_reset(c);
        result = ops->is_open(c->http, rc, &ref, &open, &c->retry_after_s, c->err, c->errlen);
        call_check(c, result);
        check(result != CS_ERR_NOT_FOUND, "is_open found nothing");
        if (result == CS_OK && open)
            check(is_2xx(c->a->last_status), "open without a 2xx");
        if (result != CS_OK)
            check(!open, "open after a failure");
        if (all && (result != CS_OK || !open))
            return;
    }
    if (op == OP_ADD_NOTE || all) {
        call_reset(c);
        result = ops->add_note(c->http, rc, &ref, note, &c->retry_after_s, c->err, c->errlen);
        call_check_2xx(c, result);
        check(result != CS_ERR_NOT_FOUND, "add_note found nothing");
        if (all && result != CS_OK)
            return;
    }
    if (op == OP_CLOSE || all) {
        call_reset(c);
        result = ops->close(c->http, rc, &ref, "The certificate was renewed: 90 days left.",
                            &c->retry_after_s, c->err, c->errlen);
        call_check_2xx(c, result);
        check(result != CS_ERR_NOT_FOUND, "close found nothing");
    }
}

/* One message through the webhook channel: raise, resolve or a job
 * summary (notify), as the outbox would send it. */
static void webhook_op(const struct cs_remote_config *rc, unsigned action, const char *key,
                       struct call *c)
{
    static const char *const actions[] = {"raise", "resolve", "notify"};
    struct cs_channel_session *s = NULL;
    char name[64];
    cJSON *payload = cJSON_CreateObject();
    enum cs_rc result;

    check(payload != NULL, "out of memory");
    cJSON_AddStringToObject(payload, "action", actions[action % 3]);
    cJSON_AddStringToObject(payload, "key", key);
    cJSON_AddStringToObject(payload, "kind", action % 3 == 2 ? "monitoring" : "expiry");
    cJSON_AddStringToObject(payload, "subject", "SSL Certificate www.example.com expiry");
    cJSON_AddStringToObject(payload, "description",
                            "The SSL Certificate of www.example.com:443 expires in 5 days.");
    cJSON_AddStringToObject(payload, "note", "Renewed <today> & *done*");
    cJSON_AddStringToObject(payload, "severity", "error");

    snprintf(name, sizeof(name), "webhook.%s", rc->name);
    call_reset(c);
    result = cs_channel_webhook.open(&cfg, name, NULL, &s, c->err, c->errlen);
    check(result == CS_OK && s != NULL, "the webhook section does not open");
    call_reset(c);
    result =
        cs_channel_webhook.send(s, "outbox-42-1", payload, &c->retry_after_s, c->err, c->errlen);
    call_check(c, result);
    check(result != CS_ERR_NOT_FOUND, "a webhook found nothing");
    if (result == CS_OK && rc->type == CS_REMOTE_PAGERDUTY && action % 3 == 2)
        check(c->a->requests == 0, "a job summary was sent to PagerDuty");
    else if (result == CS_OK)
        check(c->a->requests == 1 && is_2xx(c->a->last_status), "CS_OK without a 2xx");
    if (result == CS_OK && rc->type == CS_REMOTE_SLACK) {
        /* Slack's one success is "ok", blanks (isspace, as webhook.c trims) aside. */
        const char *b = c->a->last_body;
        size_t n = c->a->last_body_len;
        while (n > 0 && isspace((unsigned char)*b))
            b++, n--;
        check((n == 0 && c->a->last_body_cut) || (n >= 2 && strncmp(b, "ok", 2) == 0),
              "Slack's CS_OK without its 'ok'");
    }
    cs_channel_webhook.close(&s);
    check(s == NULL, "close leaves the session");
    cJSON_Delete(payload);
}

/* ---- the entry point ----------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char odd_key[] =
        "alert:expiry30:<b>&amp;</b>^correlation_id=x^ORactive=false\"'/../?q=1#frag "
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    struct answers a = {.last_status = -1};
    struct call c = {.a = &a};
    char err[CS_ERRLEN];

    if (!cfg_ready) {
        if (cs_config_parse(config_text, "fuzz.conf", &cfg, err, sizeof(err)) != CS_OK) {
            fprintf(stderr, "fuzz_ticket_answers: the configuration: %s\n", err);
            abort();
        }
        cfg_ready = true;
        verbose = getenv("FUZZ_VERBOSE") != NULL;
    }
    if (size < 3)
        return 0;

    unsigned which = data[0] % NSYSTEMS, op = data[1], flags = data[2];
    const struct cs_remote_config *rc =
        cs_config_remote(&cfg, systems[which].webhook, systems[which].name);
    const char *key =
        flags & FLAG_ODD_KEY
            ? odd_key
            : "alert:expiry30:5f3c2a1b0e9d8c7b6a5f4e3d2c1b0a99887766554433221100ffeedd";
    struct cs_http_transport t = {.send = answer, .arg = &a};

    check(rc != NULL, "a section of the configuration is missing");
    a.secrets = systems[which].secrets;
    a.p = data + 3;
    a.left = size - 3;
    a.huge = (flags & FLAG_HUGE) != 0;
    c.errlen = flags & FLAG_SHORT_ERR ? SHORT_ERRLEN : sizeof(c.err);
    cs_http_set_transport(&t);

    if (systems[which].webhook) {
        webhook_op(rc, op, key, &c);
    } else {
        if (cs_http_open(rc->ca_file, rc->timeout_ms, &c.http, err, sizeof(err)) != CS_OK)
            abort();
        ticket_ops(rc, systems[which].ticket_id, (enum op)(op % NOPS), key, &c);
        cs_http_close(&c.http);
    }
    cs_http_set_transport(NULL);
    return 0;
}
