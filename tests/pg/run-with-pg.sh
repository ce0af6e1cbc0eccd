#!/bin/bash
# run-with-pg.sh DIR CMD [ARG...]: runs CMD with CERTSWEEP_TEST_STORE set to
# the URL of the server `pg-fixture.sh start DIR` started for this ctest
# run. If it started none, says why and exits 77, which ctest reports as
# skipped.
set -u
[ $# -ge 2 ] || {
    echo "usage: $0 DIR CMD [ARG...]" >&2
    exit 2
}
dir=$1
shift
# The same instance as pg-fixture.sh finds: that of our parent, ctest.
if ! url=$(CS_PG_INSTANCE=${CS_PG_INSTANCE:-$PPID} "$(dirname "$0")/pg-fixture.sh" url "$dir"); then
    echo "SKIP: no PostgreSQL server for this test: $url"
    exit 77
fi
CERTSWEEP_TEST_STORE=$url exec "$@"
