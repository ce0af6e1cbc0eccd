#!/usr/bin/env bash
# certsweep vuln vs sslscan and testssl.sh on the loopback nginx lab
# (bench/lab.sh: TLS 1.2 + 1.3 on 0.0.0.0:PORT, so every 127.x.y.z answers).
# See bench/README.md.
#
#   bench/vuln.sh
#
# Measures one host (127.0.0.1) and BENCH_VULN_HOSTS hosts (default 50:
# 127.0.1.1 .. 127.0.1.50) on one port. sslscan and testssl.sh are peers
# that scan one host per run, so the many-hosts figure for them is a loop,
# one host after another; testssl.sh is left out of it unless
# BENCH_TESTSSL_MANY=1 (about a minute per host).
#
# Environment:
#   CERTSWEEP=PATH         binary to measure (default: <repo>/build/certsweep)
#   BENCH_VULN_HOSTS=N     hosts in the many-hosts run (default 50, max 250)
#   BENCH_TESTSSL=0        skip testssl.sh everywhere
#   BENCH_TESTSSL_MANY=1   run testssl.sh over the many hosts too
#   BENCH_TLS_PORT         port (default 8443; the next free one if busy)
#   BENCH_KEEP=1           keep the temp dir (outputs, logs)
#
# Only 127.0.0.0/8 is ever scanned. Needs root (nginx lab).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lab.sh
source "$BENCH_DIR/lab.sh"
REPO=$(lab_repo_root)
CERTSWEEP=${CERTSWEEP:-$REPO/build/certsweep}
HOSTS=${BENCH_VULN_HOSTS:-50}
BENCH_TESTSSL=${BENCH_TESTSSL:-1}
BENCH_TESTSSL_MANY=${BENCH_TESTSSL_MANY:-0}
case ${1:-} in -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;; esac
[[ "$HOSTS" =~ ^[1-9][0-9]*$ ]] && [ "$HOSTS" -le 250 ] || { echo "BENCH_VULN_HOSTS must be 1-250" >&2; exit 2; }
[ -x "$CERTSWEEP" ] || { echo "certsweep binary not found or not executable: $CERTSWEEP" >&2; exit 2; }

lab_init
lab_require /usr/bin/time:time sslscan:sslscan testssl:testssl.sh openssl:openssl ss:iproute2
lab_raise_nofile
PORT=$(lab_pick_port "${BENCH_TLS_PORT:-8443}")
lab_nginx_start "$PORT"

ONE="127.0.0.1:$PORT"
MANY=()
for i in $(seq 1 "$HOSTS"); do MANY+=("127.0.1.$i:$PORT"); done

# timed NAME CMD... : runs CMD under /usr/bin/time, prints nothing, records
# the wall seconds in WALL[NAME] and the exit status in RC[NAME].
declare -A WALL RC
timed() {
    local name=$1; shift
    local tf="$LAB_DIR/$name.time" rc=0
    /usr/bin/time -f '%e' -o "$tf" "$@" >"$LAB_DIR/$name.out" 2>"$LAB_DIR/$name.err" || rc=$?
    lab_interrupted "$rc"
    WALL[$name]=$(tail -1 "$tf")
    RC[$name]=$rc
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1fx", a / b; else print "-" }'; }

lab_log "certsweep vuln, one host"
timed cs_one "$CERTSWEEP" vuln -q --format jsonl "$ONE"
lab_log "certsweep vuln, $HOSTS hosts"
timed cs_many "$CERTSWEEP" vuln -q --format jsonl "${MANY[@]}"
lab_log "sslscan, one host"
timed sslscan_one sslscan --no-colour "$ONE"
lab_log "sslscan, $HOSTS hosts one after another"
timed sslscan_many bash -c 'for h in "$@"; do sslscan --no-colour "$h" || exit $?; done' _ "${MANY[@]}"
if [ "$BENCH_TESTSSL" = 1 ]; then
    lab_log "testssl.sh, one host"
    timed testssl_one testssl --quiet --color 0 --warnings off "$ONE"
    if [ "$BENCH_TESTSSL_MANY" = 1 ]; then
        lab_log "testssl.sh, $HOSTS hosts one after another"
        timed testssl_many bash -c 'for h in "$@"; do testssl --quiet --color 0 --warnings off "$h" || exit $?; done' _ "${MANY[@]}"
    fi
fi

records=$(wc -l <"$LAB_DIR/cs_many.out")
findings=$(grep -o '"id":' "$LAB_DIR/cs_many.out" | wc -l || true)
printf '\ncertsweep vuln benchmark, nginx TLS 1.2+1.3 on port %s, load %s\n%s\n' \
    "$PORT" "$(cut -d' ' -f1-3 /proc/loadavg)" "$(lab_machine)"
printf 'sslscan : %s\n' "$(sslscan --no-colour --version 2>/dev/null | head -1 | tr -d '[:space:]')"
printf 'testssl : %s\n\n' "$(testssl --version 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' | grep -o 'testssl *[0-9][^ ]*' | head -1)"
printf '%-12s %12s %16s %14s\n' tool "1 host (s)" "$HOSTS hosts (s)" "exit codes"
printf '%-12s %12s %16s %14s\n' certsweep "${WALL[cs_one]}" "${WALL[cs_many]}" "${RC[cs_one]}/${RC[cs_many]}"
printf '%-12s %12s %16s %14s\n' sslscan "${WALL[sslscan_one]}" "${WALL[sslscan_many]}" "${RC[sslscan_one]}/${RC[sslscan_many]}"
if [ "$BENCH_TESTSSL" = 1 ]; then
    printf '%-12s %12s %16s %14s\n' testssl.sh "${WALL[testssl_one]}" "${WALL[testssl_many]:--}" \
        "${RC[testssl_one]}/${RC[testssl_many]:--}"
fi
printf '\nratios (peer / certsweep, higher is better for certsweep):\n'
printf '  sslscan     1 host %s, %s hosts %s\n' "$(ratio "${WALL[sslscan_one]}" "${WALL[cs_one]}")" \
    "$HOSTS" "$(ratio "${WALL[sslscan_many]}" "${WALL[cs_many]}")"
if [ "$BENCH_TESTSSL" = 1 ]; then
    printf '  testssl.sh  1 host %s' "$(ratio "${WALL[testssl_one]}" "${WALL[cs_one]}")"
    [ -n "${WALL[testssl_many]:-}" ] && printf ', %s hosts %s' "$HOSTS" "$(ratio "${WALL[testssl_many]}" "${WALL[cs_many]}")"
    printf '\n'
fi
printf '\ncertsweep: %s records for %s hosts, %s findings (the lab certificate is self-signed)\n' \
    "$records" "$HOSTS" "$findings"
printf 'commands: certsweep vuln -q --format jsonl HOST:PORT...; sslscan --no-colour HOST:PORT; testssl --quiet --color 0 --warnings off HOST:PORT\n'
