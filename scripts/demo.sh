#!/bin/bash
# Starts the test lab (a few dozen real servers on loopback, each a kind of
# endpoint a scan meets), scans it and prints the table. `make demo` runs it
# after installing dependencies and building.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${CERTSWEEP:-build/certsweep}
work=$(mktemp -d /tmp/certsweep-demo.XXXXXX)
lab_pid=
cleanup() {
    [ -n "$lab_pid" ] && kill "$lab_pid" 2>/dev/null && wait "$lab_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

echo "Starting the lab (certificates are generated on first use)..." >&2
/usr/bin/python3 tests/lab/lab.py --certs "$work/certs" --manifest "$work/manifest.json" &
lab_pid=$!
for _ in $(seq 1 300); do
    [ -f "$work/manifest.json" ] && break
    kill -0 "$lab_pid" 2>/dev/null || { echo "demo: the lab did not start" >&2; exit 1; }
    sleep 0.1
done

# Every TCP endpoint of the lab on 127.0.0.1, and the IPv6 one on ::1.
ports=$(/usr/bin/python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
print(",".join(str(p) for n, p in sorted(m.items()) if n not in ("dns", "tls_v6")))
' "$work/manifest.json")
v6=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["tls_v6"])' \
    "$work/manifest.json")

cmd=("$bin" scan --format table --connect-timeout 1000 --download-timeout 2000
     "127.0.0.1:$ports" "[::1]:$v6")
echo "\$ certsweep scan --format table --connect-timeout 1000 --download-timeout 2000 127.0.0.1:<lab ports> [::1]:<port>" >&2
"${cmd[@]}"
