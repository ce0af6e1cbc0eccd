#!/bin/bash
# A throwaway PostgreSQL server for the tests of the PostgreSQL inventory.
#
#   pg-fixture.sh start DIR   initdb a cluster under DIR, start it on
#                             127.0.0.1 at a free port and on a unix socket
#                             beside it, create the database certsweep_test
#                             and write its URL to the file `url` there;
#                             prints nothing on success
#   pg-fixture.sh stop DIR    stop that server and remove what start made
#   pg-fixture.sh url DIR     print the URL, or fail with the reason the
#                             server could not be started
#
# Two ctest runs in one build tree must not stop each other's server, so
# each has its own instance directory, DIR/<pid of ctest> (ctest is the
# parent of every test command); CS_PG_INSTANCE overrides the pid when the
# script is used by hand. start also stops the servers of ctest runs that
# were killed before their cleanup ran.
#
# The cluster trusts every local connection and runs with fsync=off: it
# holds test data only. initdb refuses to run as root, so as root the server
# runs as the `postgres` system user; as anyone else, as that user.
#
# When no server can be had here, start exits 77 with one line saying why
# and leaves it in the file `skip-reason` for run-with-pg.sh to show.
# PG_BINDIR overrides where the PostgreSQL programs are looked for.
set -u

usage() {
    echo "usage: $0 start|stop|url DIR" >&2
    exit 2
}
[ $# -eq 2 ] || usage
cmd=$1
top=$2
case $top in
/*) ;;
*) top=$PWD/$top ;;
esac
dir=$top/${CS_PG_INSTANCE:-$PPID}

# Runs a command as the user that owns the cluster.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

find_bindir() {
    if [ -n "${PG_BINDIR:-}" ]; then
        echo "$PG_BINDIR"
    elif [ -x /usr/lib/postgresql/15/bin/initdb ]; then
        echo /usr/lib/postgresql/15/bin
    else
        # Another major version will do as well: the newest installed.
        ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
    fi
}

# Stops the server of one instance directory, if it runs, and removes it.
stop_instance() {
    local d=$1 bindir
    bindir=$(find_bindir)
    if [ -f "$d/data/postmaster.pid" ] && [ -n "$bindir" ]; then
        as_owner "$bindir/pg_ctl" stop -D "$d/data" -m immediate -w -t 30 >/dev/null 2>&1
    fi
    rm -rf "$d"
}

stop() {
    stop_instance "$dir"
    rmdir "$top" 2>/dev/null
    return 0
}

skip() {
    mkdir -p "$dir" 2>/dev/null && echo "$*" >"$dir/skip-reason"
    echo "SKIP: $*"
    exit 77
}

# Fails the fixture with a line of reason and the end of the server's log.
die() {
    echo "pg-fixture: $*" >&2
    [ -f "$dir/server.log" ] && tail -n 20 "$dir/server.log" >&2
    exit 1
}

start() {
    local bindir port d
    # What this run or a killed one left behind.
    stop_instance "$dir"
    for d in "$top"/*/; do
        d=${d%/}
        case ${d##*/} in
        *[!0-9]* | '') continue ;;
        esac
        [ -d "/proc/${d##*/}" ] || stop_instance "$d"
    done

    bindir=$(find_bindir)
    if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ] || [ ! -x "$bindir/pg_ctl" ]; then
        skip "no PostgreSQL server programs (initdb, pg_ctl) in ${bindir:-/usr/lib/postgresql/*/bin}"
    fi
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
        skip "running as root and there is no postgres user to run initdb as"
    fi

    mkdir -p "$dir" || die "cannot create $dir"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$dir" || die "cannot give $dir to the postgres user"
        runuser -u postgres -- test -w "$dir" ||
            skip "the postgres user cannot write $dir (is a parent directory closed to it?)"
    fi

    as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
        --no-sync >"$dir/initdb.log" 2>&1 ||
        die "initdb failed: $(tail -n 1 "$dir/initdb.log")"
    # A unix socket path has room for about 100 bytes; past that, TCP only.
    local sockets=$dir
    [ ${#dir} -le 90 ] || sockets=
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$sockets'
fsync = off
synchronous_commit = off
full_page_writes = off
CONF

    # A port nobody answers on; if another process takes it before the
    # server binds it, try another.
    for _ in 1 2 3 4 5; do
        port=$((20000 + RANDOM % 40000))
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
        if as_owner "$bindir/pg_ctl" start -D "$dir/data" -l "$dir/server.log" -o "-p $port" \
            -w -t 60 -s >/dev/null 2>&1; then
            break
        fi
        grep -q "could not bind\|could not create listen socket" "$dir/server.log" 2>/dev/null ||
            die "the server did not start"
        port=
    done
    [ -n "$port" ] || die "found no free port"

    as_owner "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres certsweep_test ||
        die "createdb certsweep_test failed"
    echo "postgresql://postgres@127.0.0.1:$port/certsweep_test" >"$dir/url"
}

url() {
    if [ -s "$dir/url" ]; then
        cat "$dir/url"
    else
        cat "$dir/skip-reason" 2>/dev/null || echo "the fixture did not start one"
        return 1
    fi
}

case $cmd in
start) start ;;
stop) stop ;;
url) url ;;
*) usage ;;
esac
