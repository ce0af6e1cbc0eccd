#!/bin/sh
# Generate the extra certificates that tests/lab/vulnlab.py serves, on top of
# those of gencerts.sh (which is run first, into the same directory).
#
# Usage: genvulncerts.sh OUTDIR
#
# Like gencerts.sh: OUTDIR/vulndone marks a finished run (a second call
# returns at once), the files are built in a scratch directory and moved
# into OUTDIR only when all of them exist, nothing is printed on success and
# the openssl log is shown on stderr on failure (exit 1).
#
# What OUTDIR holds afterwards, besides gencerts.sh's files (each NAME has
# NAME.key, NAME.pem with the leaf alone and NAME.chain.pem with what the
# server sends, leaf first); every leaf is signed by gencerts.sh's RSA
# intermediate `int` with sha256 and valid for 825 days:
#   vuln        RSA 2048 leaf, SAN DNS:vuln.test; chain vuln+int.  The clean
#               server's: nothing to find with --sni vuln.test --ca-file ca.pem
#   rsa1024     RSA 1024 leaf, SAN DNS:vuln.test; chain rsa1024+int
#   incomplete  RSA 2048 leaf, SAN DNS:vuln.test; chain of the leaf alone
#               (the intermediate is missing)
#   other       RSA 2048 leaf, SAN DNS:other.test; chain other+int (a
#               hostname mismatch for --sni vuln.test)
set -eu

out=${1:?usage: genvulncerts.sh OUTDIR}
[ -f "$out/vulndone" ] && exit 0
"$(dirname "$0")/gencerts.sh" "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "$out/.vulnwork.XXXXXX")
trap 'rm -rf "$work"' EXIT
log=$work/log

q() {
    if ! "$@" >>"$log" 2>&1; then
        echo "genvulncerts.sh: failed: $*" >&2
        cat "$log" >&2
        exit 1
    fi
}

serial() { echo "0x$(openssl rand -hex 8)"; }

cnf=$work/vuln.cnf
cat >"$cnf" <<CNF
[req]
distinguished_name = dn
[dn]

[leaf_vuln]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:vuln.test

[leaf_other]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:other.test
CNF

cd "$work"

rsakey() { q openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$2" -out "$1.key"; }

# sign NAME SUBJECT EXTENSIONS: NAME.key's CSR signed by int with sha256.
sign() {
    q openssl req -new -config "$cnf" -key "$1.key" -subj "$2" -out "$1.csr"
    q openssl x509 -req -in "$1.csr" -CA "$out/int.pem" -CAkey "$out/int.key" \
        -set_serial "$(serial)" -days 825 -sha256 \
        -extfile "$cnf" -extensions "$3" -out "$1.pem"
}

O="/O=certsweep lab"
rsakey vuln 2048;       sign vuln "$O/CN=vuln.test" leaf_vuln
rsakey rsa1024 1024;    sign rsa1024 "$O/CN=vuln.test" leaf_vuln
rsakey incomplete 2048; sign incomplete "$O/CN=vuln.test" leaf_vuln
rsakey other 2048;      sign other "$O/CN=other.test" leaf_other

cat vuln.pem "$out/int.pem" >vuln.chain.pem
cat rsa1024.pem "$out/int.pem" >rsa1024.chain.pem
cat incomplete.pem >incomplete.chain.pem
cat other.pem "$out/int.pem" >other.chain.pem

rm -f ./*.csr
mv ./*.pem ./*.key "$out"/
touch "$out/vulndone"
