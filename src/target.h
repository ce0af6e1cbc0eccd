/*
 * What to scan: parsing of targets ("10.0.0.0/24:443,8443", "[::1]",
 * "host.example.com", "@FILE") and ports ("443,9000-9010"), and the scan
 * plan built from them.
 *
 * The plan is a sorted list of spans (a run of consecutive addresses on one
 * port with one SNI), merged so that every endpoint appears once and with the
 * excluded addresses cut out. It is iterated lazily: a /16 on one port is one
 * span of 48 bytes, not 65,536 endpoints.
 */
#ifndef CS_TARGET_H
#define CS_TARGET_H

#include "cs.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

__extension__ typedef unsigned __int128 cs_u128;

/* An IPv4 or IPv6 address as an integer, so both families share one range
 * arithmetic. IPv4 addresses are stored as plain 32-bit values. */
struct cs_addr {
    int family; /* AF_INET or AF_INET6 */
    cs_u128 v;
};

/* Writes the textual address ("10.0.0.5", "::1") into buf (46 bytes suffice). */
void cs_addr_format(const struct cs_addr *addr, char *buf, size_t buflen);

/* Fills a sockaddr for connect(); returns its length. */
socklen_t cs_addr_to_sockaddr(const struct cs_addr *addr, uint16_t port,
                              struct sockaddr_storage *ss);

/* Ports as a list of inclusive ranges, in the order given. */
struct cs_port_range {
    uint16_t lo, hi;
};
struct cs_portlist {
    struct cs_port_range *ranges; /* owned */
    size_t count;
};

/* Parses "443,8443,9000-9010" into out (which must be empty). On error out
 * is left empty and err names the bad item. */
enum cs_rc cs_portlist_parse(const char *text, struct cs_portlist *out, char *err, size_t errlen);
void cs_portlist_free(struct cs_portlist *list);

/* Largest number of addresses a single range may have without
 * CS_TARGET_ALLOW_LARGE, and the absolute maximum with it. */
#define CS_TARGET_LARGE_RANGE (UINT64_C(1) << 24)
#define CS_TARGET_MAX_RANGE (UINT64_C(1) << 32)

enum cs_target_flags {
    CS_TARGET_ALLOW_LARGE = 1 << 0,
};

enum cs_target_kind { CS_TARGET_RANGE, CS_TARGET_HOST };

/* One parsed target. A hostname target is resolved later (resolve.h), which
 * fills addrs or dns_error. */
struct cs_target {
    enum cs_target_kind kind;
    int family;               /* CS_TARGET_RANGE: AF_INET or AF_INET6 */
    cs_u128 first, last;      /* CS_TARGET_RANGE: inclusive */
    char *host;               /* CS_TARGET_HOST: owned */
    struct cs_portlist ports; /* empty: the scan's default ports */
    char *sni;                /* CS_TARGET_RANGE: SNI for this target only; owned, may be NULL */
    struct cs_addr *addrs;    /* CS_TARGET_HOST after resolution: owned */
    size_t naddrs;
    const char *dns_error; /* CS_TARGET_HOST when resolution failed: static string */
};

struct cs_target_list {
    struct cs_target *items; /* owned */
    size_t count, cap;
};

/* Parses one target token (not "@FILE") and appends it to list. */
enum cs_rc cs_target_parse(struct cs_target_list *list, const char *token, unsigned flags,
                           char *err, size_t errlen);

/* Appends the targets of one command-line argument: a token, or "@FILE"
 * naming a file with one target a line ('#' starts a comment). Errors in a
 * file name the file and line. */
enum cs_rc cs_target_add_arg(struct cs_target_list *list, const char *arg, unsigned flags,
                             char *err, size_t errlen);

void cs_target_list_free(struct cs_target_list *list);

/* A run of consecutive addresses scanned on one port with one SNI. */
struct cs_span {
    cs_u128 first, last;
    int family;
    uint16_t port;
    const char *sni; /* NULL or owned by the plan */
};

/* An endpoint whose hostname did not resolve: reported, never probed. */
struct cs_unresolved {
    const char *host; /* owned by the plan */
    uint16_t port;
    const char *dns_error;
};

struct cs_plan {
    struct cs_span *spans;
    size_t nspans;
    struct cs_unresolved *unresolved;
    size_t nunresolved;
    uint64_t total; /* endpoints to probe: the sum of all span sizes */
    char **snis;    /* the distinct names (SNIs, unresolved hosts) pointed to */
    size_t nsnis;
};

/*
 * Builds the plan from resolved targets and exclusions. default_ports apply
 * to targets without their own; sni (may be NULL) is sent to address
 * targets, a hostname target sends its own name. An exclusion without ports
 * removes its addresses on every port. The caller frees the plan with
 * cs_plan_free(); on error *out is NULL.
 */
enum cs_rc cs_plan_build(const struct cs_target_list *targets,
                         const struct cs_target_list *excludes,
                         const struct cs_portlist *default_ports, const char *sni,
                         struct cs_plan **out, char *err, size_t errlen);
void cs_plan_free(struct cs_plan **plan);

/* Position in a plan; zero-initialise to start at the beginning. */
struct cs_plan_cursor {
    size_t span;
    cs_u128 offset;
};

/* One endpoint to probe, as the cursor yields it. */
struct cs_endpoint {
    struct cs_addr addr;
    uint16_t port;
    const char *sni;
};

/* Stores the endpoint at the cursor in ep without moving; false at the end. */
bool cs_plan_peek(const struct cs_plan *plan, const struct cs_plan_cursor *cur,
                  struct cs_endpoint *ep);
/* Moves the cursor one endpoint on. */
void cs_plan_advance(const struct cs_plan *plan, struct cs_plan_cursor *cur);

#endif
