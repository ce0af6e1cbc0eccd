#!/bin/bash
# host_unreachable without sending a packet: inside a private network
# namespace of this test, an address with no route, one behind an
# `unreachable` route, and an IPv6 address with no source address.
set -u
bin=${CERTSWEEP:?CERTSWEEP must name the binary}
if ! unshare -n true 2>/dev/null; then
    echo "SKIP: cannot create a network namespace here (unshare -n needs root)"
    exit 77
fi

out=$(unshare -n sh -c '
    ip link set lo up
    ip route add unreachable 198.51.100.0/24
    "$0" scan --format jsonl -q 192.0.2.1:443 198.51.100.7:443 "[2001:db8::1]:443"
' "$bin")
rc=$?
passed=0 failed=0
check() { # name expected-substring
    if grep -q -- "$2" <<<"$out"; then
        echo "ok $1"; passed=$((passed + 1))
    else
        echo "FAIL $1: no record with $2 in: $out"; failed=$((failed + 1))
    fi
}
if [ "$rc" -eq 0 ]; then echo "ok exit_status_zero"; passed=$((passed + 1)); else
    echo "FAIL exit_status_zero: got $rc"; failed=$((failed + 1)); fi
check no_route '"ip":"192.0.2.1","port":443,"sni":null,"status":"host_unreachable","reason":"network_unreachable"'
check unreachable_route '"ip":"198.51.100.7","port":443,"sni":null,"status":"host_unreachable","reason":"host_unreachable"'
check ipv6_without_route '"ip":"2001:db8::1","port":443,"sni":null,"status":"host_unreachable"'
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
