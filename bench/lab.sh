# shellcheck shell=bash disable=SC2034
# Loopback lab shared by bench/run.sh and bench/callgrind.sh. Source it; do
# not run it. Everything it starts or changes is undone by lab_cleanup, which
# the caller installs as an EXIT trap via lab_init.
#
# Traffic only ever goes to 127.0.0.0/8: nginx listens on 0.0.0.0:PORT so that
# every 127.x.y.z answers on loopback, and the iptables DROP rule is limited to
# a 127.64.0.0/16 destination.

LAB_DIR=""
LAB_NGINX_PID=""
LAB_NGINX_PORT=""   # for callers: the port lab_nginx_start used
LAB_DROP_RULES=()   # each entry: "CIDR PORT"

# lab_interrupted RC : exit 130 if a child ended on Ctrl-C. Bash skips its own
# INT trap when the foreground child exits normally after SIGINT (as
# certsweep, nmap and timeout --foreground do), so callers check.
lab_interrupted() {
    if [ "$1" -eq 130 ]; then lab_log "interrupted"; exit 130; fi
}

lab_log() { printf '[lab] %s\n' "$*" >&2; }
lab_die() { printf '[lab] error: %s\n' "$*" >&2; exit 1; }

# Repository root (the parent of bench/).
lab_repo_root() { (cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd); }

# lab_init: temp dir + traps. Call once, early.
lab_init() {
    [ "$(id -u)" -eq 0 ] || lab_die "must run as root (iptables, nginx on a privileged setup)"
    LAB_DIR=$(mktemp -d /tmp/certsweep-bench.XXXXXX)
    chmod 755 "$LAB_DIR"
    trap lab_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
}

lab_cleanup() {
    local rc=$?
    set +e
    lab_drop_remove_all
    lab_nginx_stop
    if [ -n "$LAB_DIR" ] && [ -d "$LAB_DIR" ] && [ -z "${BENCH_KEEP:-}" ]; then
        rm -rf -- "$LAB_DIR"
    elif [ -n "$LAB_DIR" ]; then
        lab_log "kept $LAB_DIR (BENCH_KEEP set)"
    fi
    return "$rc"
}

# lab_require CMD:PACKAGE... : apt-get installs PACKAGE when CMD (a command
# name or an absolute path) is missing. Idempotent; needs root.
lab_require() {
    local missing=() pair cmd pkg
    for pair in "$@"; do
        cmd=${pair%%:*}; pkg=${pair#*:}
        if [[ $cmd == /* ]]; then [ -x "$cmd" ] && continue
        else command -v "$cmd" >/dev/null 2>&1 && continue; fi
        [[ " ${missing[*]} " == *" $pkg "* ]] || missing+=("$pkg")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    lab_log "apt-get install ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Raise the soft open-files limit to the hard limit (for this shell and its
# children).
lab_raise_nofile() {
    ulimit -n "$(ulimit -Hn)"
}

# lab_port_free PORT : true if nothing listens on PORT (any address, TCP).
lab_port_free() {
    [ -z "$(ss -Htln "sport = :$1" 2>/dev/null)" ]
}

# lab_pick_port PREFERRED : prints PREFERRED or the next free port after it.
lab_pick_port() {
    local p=$1
    while ! lab_port_free "$p"; do p=$((p + 1)); done
    printf '%s\n' "$p"
}

# lab_make_cert : fresh ECDSA P-256 self-signed certificate in $LAB_DIR.
lab_make_cert() {
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$LAB_DIR/key.pem" -out "$LAB_DIR/cert.pem" -days 7 -sha256 \
        -subj "/CN=certsweep-bench.test/O=certsweep bench lab" \
        -addext "subjectAltName=DNS:certsweep-bench.test,IP:127.0.0.1" \
        >/dev/null 2>&1 || lab_die "openssl could not make the lab certificate"
    chmod 644 "$LAB_DIR/cert.pem" "$LAB_DIR/key.pem"
}

# lab_nginx_start PORT : nginx (Debian's) answering TLS 1.2/1.3 on
# 0.0.0.0:PORT, own config/pid/logs in $LAB_DIR. Waits until it answers.
lab_nginx_start() {
    local port=$1 d="$LAB_DIR/nginx" i
    [ -n "$LAB_NGINX_PID" ] && return 0
    lab_port_free "$port" || lab_die "port $port is already in use"
    lab_require nginx:nginx-light openssl:openssl
    mkdir -p "$d"
    [ -f "$LAB_DIR/cert.pem" ] || lab_make_cert
    cat >"$d/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes auto;
worker_rlimit_nofile 200000;
pid $d/nginx.pid;
error_log $d/error.log warn;
user www-data www-data;

events {
    worker_connections 65536;
    multi_accept on;
}

http {
    access_log off;
    client_body_temp_path $d/body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;

    server {
        listen 0.0.0.0:$port ssl backlog=65535;
        server_name _;
        ssl_certificate     $LAB_DIR/cert.pem;
        ssl_certificate_key $LAB_DIR/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache off;
        ssl_session_tickets off;
        location / { return 200 "certsweep bench lab\n"; }
    }
}
EOF
    nginx -t -q -p "$d" -c "$d/nginx.conf" -e "$d/error.log" \
        || { cat "$d/error.log" >&2; lab_die "nginx -t failed"; }
    nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" >"$d/stdout.log" 2>&1 &
    LAB_NGINX_PID=$!
    LAB_NGINX_PORT=$port
    for i in $(seq 1 100); do
        if timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port" 2>/dev/null; then break; fi
        kill -0 "$LAB_NGINX_PID" 2>/dev/null || { cat "$d/error.log" >&2; lab_die "nginx exited"; }
        sleep 0.1
    done
    lab_tls_check 127.1.2.3 "$port" || lab_die "nginx does not answer TLS on 127.1.2.3:$port"
}

# lab_tls_check IP PORT : a TLS handshake with a certificate succeeds.
lab_tls_check() {
    local out
    out=$(timeout 5 openssl s_client -connect "$1:$2" -servername certsweep-bench.test \
        </dev/null 2>/dev/null) || return 1
    grep -q 'BEGIN CERTIFICATE' <<<"$out"
}

# lab_nginx_cpu : CPU seconds (user+sys) the nginx workers have used so far,
# or "-" when the lab nginx is not running.
lab_nginx_cpu() {
    local p t=0 tck
    [ -n "$LAB_NGINX_PID" ] || { echo -; return; }
    tck=$(getconf CLK_TCK)
    for p in $(ps -o pid= --ppid "$LAB_NGINX_PID"); do
        t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
    done
    awk -v t="$t" -v k="$tck" 'BEGIN { printf "%.2f", t / k }'
}

lab_nginx_stop() {
    local pid=$LAB_NGINX_PID
    [ -z "$pid" ] && return 0
    LAB_NGINX_PID=""
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# lab_drop_add CIDR PORT : SYNs to CIDR:PORT vanish (connects time out).
# CIDR must be inside 127.0.0.0/8.
lab_drop_add() {
    local cidr=$1 port=$2
    case $cidr in 127.*) ;; *) lab_die "refusing a DROP rule outside 127.0.0.0/8: $cidr" ;; esac
    lab_require iptables:iptables
    LAB_DROP_RULES+=("$cidr $port")
    if ! iptables -C INPUT -d "$cidr" -p tcp --dport "$port" -j DROP 2>/dev/null; then
        iptables -I INPUT -d "$cidr" -p tcp --dport "$port" -j DROP
    fi
}

lab_drop_remove_all() {
    local r cidr port
    for r in "${LAB_DROP_RULES[@]}"; do
        cidr=${r% *}; port=${r#* }
        # Remove every copy (a crashed earlier run may have left one).
        while iptables -C INPUT -d "$cidr" -p tcp --dport "$port" -j DROP 2>/dev/null; do
            iptables -D INPUT -d "$cidr" -p tcp --dport "$port" -j DROP || break
        done
    done
    LAB_DROP_RULES=()
}

# lab_connect_times_out IP PORT : a plain TCP connect gets no answer in 3 s.
lab_connect_times_out() {
    local rc=0
    timeout --foreground 3 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null || rc=$?
    lab_interrupted "$rc"
    [ "$rc" -eq 124 ]
}

# lab_connect_refused IP PORT : a plain TCP connect is refused at once.
lab_connect_refused() {
    local rc=0
    timeout --foreground 3 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null || rc=$?
    lab_interrupted "$rc"
    [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]
}

# lab_machine : one block describing the machine.
lab_machine() {
    local cpu
    cpu=$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')
    printf 'machine : %s cores, %s, %s GiB RAM\n' "$(nproc)" "$cpu" \
        "$(awk '/MemTotal/ {printf "%.1f", $2/1048576}' /proc/meminfo)"
    printf 'kernel  : %s\n' "$(uname -srm)"
    printf 'os      : %s\n' "$(. /etc/os-release && echo "$PRETTY_NAME")"
    printf 'openssl : %s\n' "$(openssl version)"
    printf 'nmap    : %s\n' "$(nmap --version 2>/dev/null | head -1)"
    printf 'nginx   : %s\n' "$(nginx -v 2>&1 | sed 's/^nginx version: //')"
    printf 'nofile  : soft %s, hard %s\n' "$(ulimit -Sn)" "$(ulimit -Hn)"
}
