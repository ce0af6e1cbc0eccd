#!/usr/bin/env bash
# certsweep vs nmap ssl-cert on a loopback lab. See bench/README.md.
#
#   bench/run.sh [tls4096] [refused65536] [silent65536]     (default: all)
#
# Environment:
#   CERTSWEEP=PATH        binary to measure (default: <repo>/build/certsweep)
#   CERTSWEEP_ARGS="..."  extra flags for every certsweep scan (e.g. --concurrency 8000)
#   BENCH_NMAP=0          skip nmap everywhere
#   BENCH_NMAP_LARGE=0    skip nmap in refused65536 and silent65536
#   BENCH_TLS_PORT / BENCH_CLOSED_PORT / BENCH_SILENT_PORT   ports (8443 / 9440 / 9441)
#   BENCH_RUNS=N          run each tool N times, report the median-wall run (default 1)
#   BENCH_STRICT=1        exit 3 when a target is missed
#   BENCH_KEEP=1          keep the temp dir (outputs, logs, nginx config)
#
# Only 127.0.0.0/8 is ever scanned. Needs root (nginx lab, iptables).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lab.sh
source "$BENCH_DIR/lab.sh"
REPO=$(lab_repo_root)
CERTSWEEP=${CERTSWEEP:-$REPO/build/certsweep}
read -r -a CS_EXTRA <<<"${CERTSWEEP_ARGS:-}"
BENCH_NMAP=${BENCH_NMAP:-1}
BENCH_NMAP_LARGE=${BENCH_NMAP_LARGE:-1}
BENCH_RUNS=${BENCH_RUNS:-1}
[[ "$BENCH_RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_RUNS must be a positive integer" >&2; exit 2; }

ALL_SCENARIOS=(tls4096 refused65536 silent65536)
SCENARIOS=()
for a in "$@"; do
    case $a in
        tls4096|refused65536|silent65536) SCENARIOS+=("$a") ;;
        all) SCENARIOS+=("${ALL_SCENARIOS[@]}") ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "unknown scenario: $a (known: ${ALL_SCENARIOS[*]})" >&2; exit 2 ;;
    esac
done
[ "${#SCENARIOS[@]}" -eq 0 ] && SCENARIOS=("${ALL_SCENARIOS[@]}")

[ -x "$CERTSWEEP" ] || { echo "certsweep binary not found or not executable: $CERTSWEEP (build it, or set CERTSWEEP=)" >&2; exit 2; }
CERTSWEEP=$(cd "$(dirname "$CERTSWEEP")" && pwd)/$(basename "$CERTSWEEP")

lab_init
lab_require /usr/bin/time:time jq:jq nmap:nmap nginx:nginx-light iptables:iptables \
    openssl:openssl ss:iproute2 awk:gawk
lab_raise_nofile

# ---------------------------------------------------------------- results
declare -A WALL CPU RSS RC NOTE CMD LABCPU RANGE
TARGETS=()       # "scenario|text|PASS/FAIL"
MISSED=0

# run_timed SCENARIO TOOL LOGFILE CMD... : BENCH_RUNS measured runs under
# /usr/bin/time; the run with the median wall time is kept.
run_timed() {
    local sc=$1 tool=$2 log=$3; shift 3
    local tf="$LAB_DIR/$sc.$tool.time" runs="$LAB_DIR/$sc.$tool.runs" rc w u s m lab0 lab1 r line
    CMD[$sc.$tool]="$*"
    : >"$runs"
    for ((r = 1; r <= BENCH_RUNS; r++)); do
        printf '  running %-9s (%d/%d): %s\n' "$tool" "$r" "$BENCH_RUNS" "$*" >&2
        rc=0
        lab0=$(lab_nginx_cpu)
        /usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" >"$log" 2>&1 || rc=$?
        lab_interrupted "$rc"
        lab1=$(lab_nginx_cpu)
        read -r w u s m < <(tail -n 1 "$tf")
        awk -v w="$w" -v u="$u" -v s="$s" -v m="$m" -v a="$lab0" -v b="$lab1" -v rc="$rc" 'BEGIN {
            printf "%s %.2f %s %s %s\n", w, u + s, m, (a == "-" || b == "-") ? "-" : sprintf("%.2f", b - a), rc }' >>"$runs"
        sleep 1   # let the loopback settle (TIME_WAIT, nginx accept queues)
    done
    line=$(sort -n -k1,1 "$runs" | awk -v n="$BENCH_RUNS" 'NR == int((n + 1) / 2)')
    read -r WALL[$sc.$tool] CPU[$sc.$tool] RSS[$sc.$tool] LABCPU[$sc.$tool] RC[$sc.$tool] <<<"$line"
    if [ "$BENCH_RUNS" -gt 1 ]; then
        RANGE[$sc.$tool]=$(sort -n -k1,1 "$runs" | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "wall %s-%s", lo, hi }')
    fi
}

# certsweep record counts by status, e.g. "certificate_found=4096"
cs_counts() {
    local f=$1 expect=$2 n
    [ -s "$f" ] || { echo "no output"; return; }
    n=$(grep -c . "$f" || true)
    printf 'records=%s/%s ' "$n" "$expect"
    jq -r '.status // "?"' "$f" 2>/dev/null | sort | uniq -c \
        | awk '{ printf "%s%s=%s", (NR > 1 ? " " : ""), $2, $1 }'
}
cs_status_count() { jq -r '.status' "$1" 2>/dev/null | grep -cx "$2" || true; }

# nmap result counts from its XML: certificates (ssl-cert outputs), port states,
# hosts given up on (host timeout), hosts scanned.
nmap_counts() {
    local x=$1 certs states hto
    [ -s "$x" ] || { echo "no output"; return; }
    certs=$(grep -c '<script id="ssl-cert"' "$x" || true)
    states=$(grep -o '<state state="[a-z|]*"' "$x" | sed 's/.*="\(.*\)"/\1/' | sort | uniq -c \
        | awk '{ printf " %s=%s", $2, $1 }')
    hto=$(grep -c 'timedout="true"' "$x" || true)
    printf 'certificates=%s ports:%s' "$certs" "${states:- none}"
    [ "$hto" -gt 0 ] && printf ' host_timeouts=%s' "$hto"
    if ! grep -q '<runstats><finished' "$x"; then printf ' (incomplete: killed by timeout)'; fi
    return 0
}

# target SCENARIO TEXT CONDITION(awk expr, true=pass)
target() {
    local sc=$1 text=$2 expr=$3 res
    if awk "BEGIN { exit !($expr) }"; then res=PASS; else res=FAIL; MISSED=$((MISSED + 1)); fi
    TARGETS+=("$sc|$text|$res")
}

ratio() { # ratio A B -> "A/B x" or "-"
    awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 <= 0 || a == "") print "-"; else printf "%.1fx", a / b }'
}

nmap_on() { # nmap_on large|small
    [ "$BENCH_NMAP" != 0 ] || return 1
    [ "$1" = small ] || [ "$BENCH_NMAP_LARGE" != 0 ]
}

# ---------------------------------------------------------------- scenarios
scenario_tls4096() {
    local sc=tls4096 port out
    port=$(lab_pick_port "${BENCH_TLS_PORT:-8443}")
    lab_nginx_start "$port"
    echo "== $sc: 4096 TLS endpoints, 127.0.0.0/20:$port (nginx $(nginx -v 2>&1 | sed 's/.*\///'), ECDSA P-256, TLS 1.2+1.3)" >&2
    out="$LAB_DIR/$sc.certsweep.jsonl"
    run_timed $sc certsweep "$LAB_DIR/$sc.certsweep.log" \
        "$CERTSWEEP" scan -q --format jsonl "${CS_EXTRA[@]}" "127.0.0.0/20:$port" -o "$out"
    NOTE[$sc.certsweep]=$(cs_counts "$out" 4096)
    if nmap_on small; then
        run_timed $sc nmap "$LAB_DIR/$sc.nmap.log" \
            timeout --foreground 600 nmap -sT -Pn -n -p "$port" --script ssl-cert 127.0.0.0/20 -oX "$LAB_DIR/$sc.nmap.xml"
        NOTE[$sc.nmap]=$(nmap_counts "$LAB_DIR/$sc.nmap.xml")
        target $sc "certsweep >= 10x faster than nmap (wall)" \
            "${WALL[$sc.certsweep]} > 0 && ${WALL[$sc.nmap]} / ${WALL[$sc.certsweep]} >= 10"
    fi
    target $sc "certsweep: 4096 x certificate_found" "$(cs_status_count "$out" certificate_found) == 4096"
    lab_nginx_stop
}

scenario_refused65536() {
    local sc=refused65536 port out
    port=$(lab_pick_port "${BENCH_CLOSED_PORT:-9440}")
    lab_connect_refused 127.1.2.3 "$port" || lab_die "127.1.2.3:$port is not refused"
    echo "== $sc: 65536 closed endpoints, 127.0.0.0/16:$port (RST)" >&2
    out="$LAB_DIR/$sc.certsweep.jsonl"
    run_timed $sc certsweep "$LAB_DIR/$sc.certsweep.log" \
        "$CERTSWEEP" scan -q --format jsonl "${CS_EXTRA[@]}" "127.0.0.0/16:$port" -o "$out"
    NOTE[$sc.certsweep]=$(cs_counts "$out" 65536)
    if nmap_on large; then
        run_timed $sc nmap "$LAB_DIR/$sc.nmap.log" \
            timeout --foreground 600 nmap -sT -Pn -n -p "$port" --script ssl-cert 127.0.0.0/16 -oX "$LAB_DIR/$sc.nmap.xml"
        NOTE[$sc.nmap]=$(nmap_counts "$LAB_DIR/$sc.nmap.xml")
    else
        NOTE[$sc.nmap]="skipped (BENCH_NMAP_LARGE=0 or BENCH_NMAP=0)"
    fi
    target $sc "certsweep wall < 5 s" "${WALL[$sc.certsweep]} < 5"
    target $sc "certsweep: 65536 x connection_refused" "$(cs_status_count "$out" connection_refused) == 65536"
}

scenario_silent65536() {
    local sc=silent65536 port out
    port=$(lab_pick_port "${BENCH_SILENT_PORT:-9441}")
    lab_drop_add 127.64.0.0/16 "$port"
    lab_connect_times_out 127.64.0.9 "$port" || lab_die "127.64.0.9:$port does not time out despite the DROP rule"
    echo "== $sc: 65536 silent endpoints, 127.64.0.0/16:$port (iptables DROP)" >&2
    out="$LAB_DIR/$sc.certsweep.jsonl"
    run_timed $sc certsweep "$LAB_DIR/$sc.certsweep.log" \
        "$CERTSWEEP" scan -q --format jsonl --connect-timeout 1000 "${CS_EXTRA[@]}" "127.64.0.0/16:$port" -o "$out"
    NOTE[$sc.certsweep]=$(cs_counts "$out" 65536)
    if nmap_on large; then
        # nmap's adaptive timing treats the drops as congestion and crawls
        # (~10 hosts/s here, hours for a /16); give it the same fixed 1 s
        # connect timeout as certsweep, no retries, and real parallelism.
        run_timed $sc nmap "$LAB_DIR/$sc.nmap.log" \
            timeout --foreground 900 nmap -sT -Pn -n -p "$port" --max-retries 0 \
            --initial-rtt-timeout 1000ms --min-rtt-timeout 1000ms --max-rtt-timeout 1000ms \
            --min-parallelism 1024 --min-hostgroup 8192 --host-timeout 60s \
            --script ssl-cert 127.64.0.0/16 -oX "$LAB_DIR/$sc.nmap.xml"
        NOTE[$sc.nmap]=$(nmap_counts "$LAB_DIR/$sc.nmap.xml")
    else
        NOTE[$sc.nmap]="skipped (BENCH_NMAP_LARGE=0 or BENCH_NMAP=0)"
    fi
    target $sc "certsweep wall < 20 s" "${WALL[$sc.certsweep]} < 20"
    target $sc "certsweep peak RSS < 256 MiB" "${RSS[$sc.certsweep]} < 256 * 1024"
    target $sc "certsweep: 65536 x timed_out_connecting" "$(cs_status_count "$out" timed_out_connecting) == 65536"
    lab_drop_remove_all
}

# ---------------------------------------------------------------- run
echo "certsweep bench  $(date -u +%Y-%m-%dT%H:%M:%SZ)"
lab_machine
printf 'binary  : %s (%s)\n' "$CERTSWEEP" "$("$CERTSWEEP" --version 2>/dev/null | head -1 || true)"
printf 'commit  : %s\n' "$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo none)"
printf 'load    : %s (other jobs on the machine skew the figures)\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf 'runs    : %s per tool and scenario%s\n' "$BENCH_RUNS" "$([ "$BENCH_RUNS" -gt 1 ] && echo ', median wall shown')"
printf 'scenarios: %s\n\n' "${SCENARIOS[*]}"

for sc in "${SCENARIOS[@]}"; do
    "scenario_$sc"
done

# ---------------------------------------------------------------- report
fmt='%-13s %-10s %8s %8s %12s %12s %4s  %s\n'
printf "$fmt" scenario tool wall_s cpu_s peak_rss_MiB nginx_cpu_s exit result
printf "$fmt" ------------- ---------- -------- -------- ------------ ------------ ---- ------
for sc in "${SCENARIOS[@]}"; do
    for tool in certsweep nmap; do
        k=$sc.$tool
        if [ -z "${WALL[$k]:-}" ]; then
            [ -n "${NOTE[$k]:-}" ] && printf "$fmt" "$sc" "$tool" - - - - - "${NOTE[$k]}"
            continue
        fi
        printf "$fmt" "$sc" "$tool" "${WALL[$k]}" "${CPU[$k]}" \
            "$(awk -v k="${RSS[$k]}" 'BEGIN { printf "%.1f", k / 1024 }')" "${LABCPU[$k]}" "${RC[$k]}" "${NOTE[$k]:-}${RANGE[$k]:+ ($BENCH_RUNS runs: ${RANGE[$k]})}"
    done
    if [ -n "${WALL[$sc.nmap]:-}" ]; then
        printf "$fmt" "$sc" "nmap/cs" "$(ratio "${WALL[$sc.nmap]}" "${WALL[$sc.certsweep]}")" \
            "$(ratio "${CPU[$sc.nmap]}" "${CPU[$sc.certsweep]}")" \
            "$(ratio "${RSS[$sc.nmap]}" "${RSS[$sc.certsweep]}")" "" "" ""
    fi
done

echo "nmap/cs = nmap's figure / certsweep's (higher: certsweep better); cpu_s = user+sys of the"
echo "scanner; nginx_cpu_s = CPU the lab's nginx workers spent serving that scanner's run."
echo
echo "commands:"
for sc in "${SCENARIOS[@]}"; do
    for tool in certsweep nmap; do
        [ -n "${CMD[$sc.$tool]:-}" ] && printf '  %-13s %-10s %s\n' "$sc" "$tool" "${CMD[$sc.$tool]//$LAB_DIR/\$TMP}"
    done
done

echo
echo "targets:"
for t in "${TARGETS[@]}"; do
    IFS='|' read -r sc text res <<<"$t"
    printf '  %-4s  %-13s %s\n' "$res" "$sc" "$text"
done
echo
echo "(measured on this machine in this run; figures are not promises)"

if [ "$MISSED" -gt 0 ] && [ "${BENCH_STRICT:-0}" = 1 ]; then exit 3; fi
exit 0
