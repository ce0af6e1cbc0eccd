/* What the threads of `certsweep serve` share (shared.h). */
#include "shared.h"

#include <stdint.h>
#include <unistd.h>

void cs_shared_wake(struct cs_serve_shared *shared)
{
    uint64_t one = 1;
    /* A full counter already wakes the loop; nothing to do on failure. */
    if (write(shared->wake_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
        return;
}

enum cs_rc cs_shared_recover(const char *db, int64_t network_id, char *err, size_t errlen)
{
    struct cs_store *s = NULL;
    enum cs_rc rc = cs_store_open(db, &s, err, errlen);

    if (rc == CS_OK)
        rc = cs_store_network_lock(s, network_id, err, errlen);
    cs_store_close(&s);
    return rc;
}
