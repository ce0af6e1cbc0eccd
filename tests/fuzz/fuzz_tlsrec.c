/*
 * libFuzzer harness for tlsrec.c: cs_tlsrec_sniff() on arbitrary first
 * bytes from a server. The sniffer must read only within len, give a reason
 * whenever it says NOT_TLS, and decide within CS_SNIFF_MAX bytes.
 */
#include "tlsrec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly size bytes, so ASan sees any read past the end. */
    unsigned char *buf = malloc(size ? size : 1);
    const char *reason = NULL;
    if (buf == NULL)
        return 0;
    memcpy(buf, data, size);

    enum cs_sniff verdict = cs_tlsrec_sniff(buf, size, &reason);
    switch (verdict) {
    case CS_SNIFF_NOT_TLS:
        if (reason == NULL || reason[0] == '\0')
            abort();
        break;
    case CS_SNIFF_NEED_MORE:
        /* Five bytes are always enough to decide. */
        if (size >= CS_SNIFF_MAX)
            abort();
        break;
    case CS_SNIFF_TLS:
    case CS_SNIFF_SSLV2:
        break;
    default:
        abort();
    }

    /* A TLS or SSLv2 verdict on the first CS_SNIFF_MAX bytes stands
     * whatever follows them. */
    if (size > CS_SNIFF_MAX) {
        const char *head_reason = NULL;
        enum cs_sniff head = cs_tlsrec_sniff(buf, CS_SNIFF_MAX, &head_reason);
        if ((head == CS_SNIFF_TLS || head == CS_SNIFF_SSLV2) && head != verdict)
            abort();
    }

    (void)cs_tls_alert_name(size ? buf[0] : 0);
    free(buf);
    return 0;
}
