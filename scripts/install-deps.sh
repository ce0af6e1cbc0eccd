#!/bin/sh
# Installs, with apt-get, every Debian package certsweep needs to build, test,
# run the demo and the benchmarks. Idempotent: installs only what is missing,
# and touches the network only then.
set -eu

packages="
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libssl-dev libc-ares-dev libcjson-dev libcmocka-dev libsqlite3-dev libpq-dev
  libinih-dev libcurl4-openssl-dev libmicrohttpd-dev
  openssl python3 python3-aiosmtpd iproute2 postgresql
  chromium
"
# What only the benchmark needs; `scripts/install-deps.sh --bench`.
bench_packages="nginx-light nmap hyperfine iptables valgrind time jq gawk sslscan testssl.sh"

if [ "${1:-}" = "--bench" ]; then
    packages="$packages $bench_packages"
fi

missing=""
for p in $packages; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages:$missing (run as root, or install them)" >&2
    exit 1
fi
echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
