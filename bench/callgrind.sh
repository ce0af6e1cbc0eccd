#!/usr/bin/env bash
# Instruction counts of one certsweep scan under callgrind: 256 TLS endpoints
# (127.0.0.0/24) against the same nginx lab as bench/run.sh. Instruction counts
# barely move between runs, unlike wall time on this 2-core machine, so use this
# to compare engine changes.
#
#   bench/callgrind.sh [CIDR]          (default 127.0.0.0/24, must be in 127.0.0.0/8)
#
# Environment:
#   CERTSWEEP=PATH        binary (default: <repo>/build/certsweep; build with -g for names)
#   CERTSWEEP_ARGS="..."  extra scan flags
#   CALLGRIND_TOP=N       functions to list (default 15)
#   CALLGRIND_OUT=FILE    keep the callgrind output there (for callgrind_annotate / diffing)
#   BENCH_TLS_PORT=PORT   nginx port (default 8443, next free one if taken)
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lab.sh
source "$BENCH_DIR/lab.sh"
REPO=$(lab_repo_root)
CERTSWEEP=${CERTSWEEP:-$REPO/build/certsweep}
read -r -a CS_EXTRA <<<"${CERTSWEEP_ARGS:-}"
TOP=${CALLGRIND_TOP:-15}
CIDR=${1:-127.0.0.0/24}
case $CIDR in 127.*) ;; *) echo "only 127.0.0.0/8 targets: $CIDR" >&2; exit 2 ;; esac

[ -x "$CERTSWEEP" ] || { echo "certsweep binary not found or not executable: $CERTSWEEP" >&2; exit 2; }

lab_init
lab_require valgrind:valgrind callgrind_annotate:valgrind jq:jq nginx:nginx-light \
    openssl:openssl ss:iproute2 python3:python3
lab_raise_nofile

port=$(lab_pick_port "${BENCH_TLS_PORT:-8443}")
lab_nginx_start "$port"
expect=$(python3 -c 'import ipaddress,sys; print(ipaddress.ip_network(sys.argv[1], strict=False).num_addresses)' "$CIDR" 2>/dev/null || echo '?')

out="$LAB_DIR/scan.jsonl"
cg="$LAB_DIR/callgrind.out"
echo "callgrind: $CERTSWEEP on $CIDR:$port (nginx, ECDSA P-256)"
echo "valgrind : $(valgrind --version)   openssl: $(openssl version | cut -d' ' -f2)   kernel: $(uname -r)"
# Generous timeouts: under callgrind the scanner runs ~50x slower, and a
# timeout firing would change the work being measured.
rc=0
valgrind --tool=callgrind --callgrind-out-file="$cg" --dump-instr=no --trace-children=no -q \
    "$CERTSWEEP" scan -q --format jsonl --connect-timeout 30000 --download-timeout 60000 \
    "${CS_EXTRA[@]}" "$CIDR:$port" -o "$out" >"$LAB_DIR/scan.log" 2>&1 || rc=$?
lab_interrupted "$rc"
if [ "$rc" -ne 0 ]; then
    echo "certsweep exited $rc under callgrind:" >&2
    tail -n 20 "$LAB_DIR/scan.log" >&2
fi
[ -s "$cg" ] || { echo "no callgrind output" >&2; exit 1; }

statuses=$(jq -r '.status' "$out" 2>/dev/null | sort | uniq -c | awk '{ printf " %s=%s", $2, $1 }')
records=$(grep -c . "$out" 2>/dev/null || true)
total=$(awk '/^(summary|totals):/ { print $2; exit }' "$cg")

echo "records  : ${records:-0}/$expect,${statuses:- none}"
echo "exit     : $rc"
printf 'total Ir : %s' "$(printf '%s' "$total" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')"
if [[ "$expect" =~ ^[0-9]+$ ]] && [ "$expect" -gt 0 ]; then
    printf '   (%s per endpoint)' "$(awk -v t="$total" -v n="$expect" 'BEGIN { printf "%.0f", t / n }' | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta')"
fi
echo
echo
# callgrind_annotate's function lines: repo-relative names, boilerplate dropped,
# the same function listed under two spellings of its path shown once.
annotate() {
    # (every stage reads its whole input: no SIGPIPE under pipefail)
    callgrind_annotate "$@" "$cg" 2>/dev/null \
        | awk '/file:function/ && !done { getline; go = 1; next }
               go && NF == 0 { go = 0; done = 1 }
               go { print }' \
        | { grep -Ev 'PROGRAM TOTALS|\(below main\)|__libc_start_main|\(100\.0%\)' || true; } \
        | sed -E -e 's| \[([^]]*/)?([^]/]*)\]$| [\2]|' -e "s#  $REPO/#  #" \
        | awk -v n="$TOP" '{ k = $0; sub(/ \[[^]]*\]$/, "", k) }
                          !seen[k]++ && c < n { print substr($0, 1, 150); c++ }'
}
echo "top $TOP functions by inclusive Ir:"
annotate --inclusive=yes
echo
echo "top $TOP functions by self Ir:"
annotate --inclusive=no
echo

if [ -n "${CALLGRIND_OUT:-}" ]; then
    cp "$cg" "$CALLGRIND_OUT"
    echo "callgrind output kept in $CALLGRIND_OUT"
fi
