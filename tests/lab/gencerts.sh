#!/bin/sh
# Generate the certificates that tests/lab/lab.py serves.
#
# Usage: gencerts.sh OUTDIR
#
# Everything is made with the openssl CLI.  OUTDIR/done marks a finished run,
# so a second call returns at once; the files are built in a scratch
# directory and only moved into OUTDIR when all of them exist.  Prints
# nothing on success; on failure prints the openssl log on stderr, exits 1.
#
# What OUTDIR holds afterwards (every NAME has NAME.key, NAME.pem with the
# leaf alone and NAME.chain.pem with what the server sends, leaf first):
#   ca          lab root CA, RSA 2048, CN=certsweep lab CA
#   int         RSA intermediate (signed by ca), CN=certsweep lab intermediate
#   ecint       P-256 intermediate (signed by ca)
#   edint       Ed25519 intermediate (signed by ca)
#   rsa         RSA 2048 leaf, sha256, signed by int; SANs DNS:rsa.test,
#               IP:127.0.0.1; chain rsa+int
#   ec          P-256 leaf signed by ecint (ecdsa-with-SHA256); chain ec+ecint
#   ed25519     Ed25519 leaf signed by edint (ED25519); chain ed25519+edint
#   selfsigned  self-signed RSA leaf; chain of one
#   sha1        RSA leaf signed by int with sha1WithRSAEncryption
#   expired     RSA leaf signed by int, valid 2020-01-01..2021-01-01
#   big         RSA leaf signed by int with 1600 DNS SANs (> 40 KB DER)
#   a, b        P-256 leaves for the SNI server, CN=a.test / CN=b.test
#   clientca    CA the client-certificate server demands; client = a client
#               certificate it would accept (for trying the lab by hand)
set -eu

out=${1:?usage: gencerts.sh OUTDIR}
[ -f "$out/done" ] && exit 0
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "$out/.work.XXXXXX")
trap 'rm -rf "$work"' EXIT
log=$work/log

# Run a command with its chatter going to the log; on failure show the log.
q() {
    if ! "$@" >>"$log" 2>&1; then
        echo "gencerts.sh: failed: $*" >&2
        cat "$log" >&2
        exit 1
    fi
}

serial() { echo "0x$(openssl rand -hex 8)"; }

cnf=$work/lab.cnf
{
    cat <<CNF
[req]
distinguished_name = dn
[dn]

[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash

[v3_int]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

[leaf_rsa]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:rsa.test,IP:127.0.0.1

[leaf_ec]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:ec.test,IP:127.0.0.1,IP:::1

[leaf_ed25519]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:ed25519.test

[leaf_selfsigned]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
subjectAltName = DNS:selfsigned.test

[leaf_sha1]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:sha1.test

[leaf_expired]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:expired.test

[leaf_a]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:a.test,IP:127.0.0.1,IP:::1

[leaf_b]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:b.test

[leaf_client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid

# "openssl x509 -req" has no way to set dates in the past in OpenSSL 3.0,
# so the expired leaf goes through "openssl ca" with this minimal CA.
[expired_ca]
dir = $work/ca
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no

[policy_any]
organizationName = optional
commonName = supplied

[leaf_big]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = @big_sans

[big_sans]
DNS.0 = big.test
CNF
    # 1600 names of 34 bytes make a DER certificate of about 58 KB: past the
    # 40 KB the tests ask for, below OpenSSL's default 100 KB chain limit.
    awk 'BEGIN { for (i = 1; i <= 1600; i++)
                     printf "DNS.%d = host-%04d.sub.big-certificate.test\n", i, i }'
} >"$cnf"

cd "$work"

rsakey() { q openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key"; }
eckey() { q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key"; }
edkey() { q openssl genpkey -algorithm ED25519 -out "$1.key"; }

# root NAME SUBJECT: a self-signed CA certificate.
root() {
    q openssl req -new -x509 -config "$cnf" -extensions v3_ca -key "$1.key" \
        -subj "$2" -days 3650 -sha256 -set_serial "$(serial)" -out "$1.pem"
}

# sign NAME SUBJECT ISSUER EXTENSIONS [DIGEST]: a CSR for NAME.key signed by
# ISSUER.  Ed25519 issuers take no digest, so DIGEST may be empty.
sign() {
    q openssl req -new -config "$cnf" -key "$1.key" -subj "$2" -out "$1.csr"
    q openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" \
        -set_serial "$(serial)" -days 825 ${5:+-$5} \
        -extfile "$cnf" -extensions "$4" -out "$1.pem"
}

O="/O=certsweep lab"

rsakey ca;       root ca "/CN=certsweep lab CA"
rsakey int;      sign int "/CN=certsweep lab intermediate" ca v3_int sha256
eckey ecint;     sign ecint "/CN=certsweep lab EC intermediate" ca v3_int sha256
edkey edint;     sign edint "/CN=certsweep lab Ed25519 intermediate" ca v3_int sha256
rsakey clientca; root clientca "/CN=certsweep lab client CA"

rsakey rsa;      sign rsa "$O/CN=rsa.test" int leaf_rsa sha256
eckey ec;        sign ec "$O/CN=ec.test" ecint leaf_ec sha256
edkey ed25519;   sign ed25519 "$O/CN=ed25519.test" edint leaf_ed25519
rsakey sha1;     sign sha1 "$O/CN=sha1.test" int leaf_sha1 sha1
rsakey big;      sign big "$O/CN=big.test" int leaf_big sha256
eckey a;         sign a "$O/CN=a.test" ecint leaf_a sha256
eckey b;         sign b "$O/CN=b.test" ecint leaf_b sha256
eckey client;    sign client "$O/CN=client.test" clientca leaf_client sha256

rsakey selfsigned
q openssl req -new -x509 -config "$cnf" -extensions leaf_selfsigned \
    -key selfsigned.key -subj "$O/CN=selfsigned.test" -days 825 -sha256 \
    -set_serial "$(serial)" -out selfsigned.pem

rsakey expired
mkdir -p ca/new
: >ca/index.txt
openssl rand -hex 8 >ca/serial
q openssl req -new -config "$cnf" -key expired.key -subj "$O/CN=expired.test" \
    -out expired.csr
q openssl ca -batch -notext -preserveDN -config "$cnf" -name expired_ca \
    -cert int.pem -keyfile int.key -extensions leaf_expired \
    -startdate 20200101000000Z -enddate 20210101000000Z \
    -in expired.csr -out expired.pem

# What each server sends: the leaf, then the intermediate that signed it.
chain() { cat "$1.pem" ${2:+"$2.pem"} >"$1.chain.pem"; }
chain rsa int
chain ec ecint
chain ed25519 edint
chain selfsigned
chain sha1 int
chain expired int
chain big int
chain a ecint
chain b ecint

rm -f ./*.csr
mv ./*.pem ./*.key "$out"/
touch "$out/done"
