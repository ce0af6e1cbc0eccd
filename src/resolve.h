/*
 * Resolution of hostname targets with c-ares: every name is looked up at
 * once (A and AAAA), before the scan starts, so the scan knows its size.
 */
#ifndef CS_RESOLVE_H
#define CS_RESOLVE_H

#include "target.h"

struct cs_resolve_opts {
    const char *servers; /* "127.0.0.1:5353,..." or NULL for /etc/resolv.conf */
    int timeout_ms;      /* per try; c-ares makes two tries */
};

/*
 * Resolves every CS_TARGET_HOST target of the given lists, filling its
 * addrs or its dns_error ("not_found", "timeout", ...). A name that does
 * not resolve is not an error of this function: it is reported per
 * endpoint. Fails only when the resolver cannot be set up.
 */
enum cs_rc cs_resolve_targets(struct cs_target_list *const *lists, size_t nlists,
                              const struct cs_resolve_opts *opts, char *err, size_t errlen);

#endif
