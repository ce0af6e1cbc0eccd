/*
 * libFuzzer harness for hello.c: cs_hello_parse() on arbitrary server
 * answers. The parser must read only within len, say why on NOT_TLS and
 * MALFORMED, keep within CS_SSL2_SUITES_MAX, and be a function of the bytes
 * received so far: a prefix of an answer decides nothing the whole answer
 * decides otherwise, and a ServerHello is never reported before all of it
 * has arrived (a prefix that reports one reports the same one).
 */
#include "hello.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_one(const struct cs_answer *a, enum cs_answer_kind kind)
{
    if (a->kind != kind)
        abort();
    switch (kind) {
    case CS_ANSWER_NOT_TLS:
    case CS_ANSWER_MALFORMED:
        if (a->reason == NULL || a->reason[0] == '\0')
            abort();
        break;
    case CS_ANSWER_NEED_MORE:
    case CS_ANSWER_SERVER_HELLO:
    case CS_ANSWER_SSL2_HELLO:
    case CS_ANSWER_ALERT:
        if (a->reason != NULL)
            abort();
        break;
    default:
        abort();
    }
    if (a->ssl2_suite_count > CS_SSL2_SUITES_MAX)
        abort();
    if (kind != CS_ANSWER_SSL2_HELLO && a->ssl2_suite_count != 0)
        abort();
    if (a->alert < -1 || a->alert > 255)
        abort();
    if (kind == CS_ANSWER_ALERT && a->alert < 0)
        abort();
    if (kind != CS_ANSWER_ALERT && kind != CS_ANSWER_SERVER_HELLO && a->alert != -1)
        abort();
    if (kind != CS_ANSWER_SERVER_HELLO &&
        (a->hello_done || a->heartbeat_seen || a->heartbeat_leak || a->heartbeat_garbage))
        abort();
    if ((a->heartbeat_leak || a->heartbeat_garbage) && !a->heartbeat_seen)
        abort();
}

static bool same_hello(const struct cs_server_hello *x, const struct cs_server_hello *y)
{
    return x->version == y->version && x->suite == y->suite && x->compression == y->compression &&
           x->hello_retry == y->hello_retry && x->renegotiation_info == y->renegotiation_info &&
           x->heartbeat == y->heartbeat;
}

/* What a prefix of the answer found, against what the whole answer found. */
static void check_prefix(const unsigned char *buf, size_t n, const struct cs_answer *whole)
{
    struct cs_answer part;
    enum cs_answer_kind kind = cs_hello_parse(buf, n, &part);
    check_one(&part, kind);
    if (kind == CS_ANSWER_NEED_MORE)
        return;
    if (kind != whole->kind)
        abort();
    switch (kind) {
    case CS_ANSWER_SERVER_HELLO:
        if (!same_hello(&part.hello, &whole->hello))
            abort();
        /* What follows the hello only adds up. */
        if (part.hello_done > whole->hello_done || part.heartbeat_seen > whole->heartbeat_seen ||
            part.heartbeat_leak > whole->heartbeat_leak ||
            part.heartbeat_garbage > whole->heartbeat_garbage)
            abort();
        if (part.alert != -1 && part.alert != whole->alert)
            abort();
        break;
    case CS_ANSWER_ALERT:
        if (part.alert != whole->alert)
            abort();
        break;
    case CS_ANSWER_MALFORMED:
        if (strcmp(part.reason, whole->reason) != 0)
            abort();
        break;
    case CS_ANSWER_SSL2_HELLO:
        if (part.ssl2_suite_count != whole->ssl2_suite_count ||
            memcmp(part.ssl2_suites, whole->ssl2_suites,
                   part.ssl2_suite_count * sizeof(part.ssl2_suites[0])) != 0)
            abort();
        break;
    default:
        break; /* NOT_TLS: the reason may sharpen with more bytes */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly size bytes, so ASan sees any read past the end. */
    unsigned char *buf = malloc(size ? size : 1);
    struct cs_answer whole;
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);

    enum cs_answer_kind kind = cs_hello_parse(buf, size, &whole);
    check_one(&whole, kind);

    /* A few prefixes: the last byte missing, halves and thirds, and cuts
     * chosen by the input itself so that the fuzzer can steer them. Each
     * parse of a prefix must not read past the prefix either: parse a
     * copy of it. */
    if (size > 0) {
        size_t cuts[8] = {size - 1, size / 2, size / 3, 5, 9};
        size_t ncuts = 5;
        for (size_t i = 0; i < 3 && i < size; i++)
            cuts[ncuts++] = ((size_t)data[i] << 4 | data[size - 1 - i]) % size;
        for (size_t i = 0; i < ncuts; i++) {
            size_t n = cuts[i] < size ? cuts[i] : size;
            unsigned char *prefix = malloc(n ? n : 1);
            if (prefix == NULL)
                break;
            memcpy(prefix, buf, n);
            check_prefix(prefix, n, &whole);
            free(prefix);
        }
    }

    free(buf);
    return 0;
}
