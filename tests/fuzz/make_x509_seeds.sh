#!/bin/sh
# Regenerates the seed corpus of fuzz_x509info (corpus/x509info/*.der): a few
# small real certificates made with the openssl CLI, covering EC, Ed25519
# and RSA keys, self-signed and CA-issued, with the usual extensions.
#   tests/fuzz/make_x509_seeds.sh
set -eu
out="$(cd "$(dirname "$0")" && pwd)/corpus/x509info"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
mkdir -p "$out"

# A CA (EC P-256) with key identifiers and CA extensions.
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout ca.key -subj "/O=certsweep lab/CN=certsweep lab CA" -days 3650 \
    -set_serial 0x1001 -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -outform DER -out "$out/ec_ca.der" 2>/dev/null
openssl x509 -inform DER -in "$out/ec_ca.der" -out ca.pem

# An EC leaf issued by the CA, with every SAN type certsweep records.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key \
    -subj "/C=DE/O=Ünïcödé Lab/CN=a.test" -utf8 -out leaf.csr 2>/dev/null
printf '%s\n' "subjectAltName=DNS:a.test,DNS:*.a.test,IP:127.0.0.1,IP:2001:db8::1,email:ops@a.test,URI:https://a.test/" \
    "extendedKeyUsage=serverAuth" "authorityKeyIdentifier=keyid" "subjectKeyIdentifier=hash" > leaf.ext
openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -set_serial 0x7e57c0de \
    -days 365 -extfile leaf.ext -outform DER -out "$out/ec_leaf_issued.der" 2>/dev/null

# A self-signed Ed25519 certificate.
openssl req -x509 -new -newkey ed25519 -nodes -keyout ed.key -subj "/CN=ed.test" \
    -days 365 -set_serial 1 -outform DER -out "$out/ed25519_self_signed.der" 2>/dev/null

# A self-signed RSA 1024 certificate (small; the key size does not matter).
openssl req -x509 -new -newkey rsa:1024 -nodes -keyout rsa.key -subj "/CN=rsa.test" \
    -addext "subjectAltName=DNS:rsa.test,IP:10.0.0.1" -days 365 -set_serial 0 \
    -outform DER -out "$out/rsa_self_signed.der" 2>/dev/null

# An empty subject: RFC 5280 allows it with a critical SAN.
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout empty.key \
    -subj "/" -addext "subjectAltName=critical,DNS:empty.test" -days 365 -set_serial 3 \
    -outform DER -out "$out/empty_subject.der" 2>/dev/null
