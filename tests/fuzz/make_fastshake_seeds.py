#!/usr/bin/python3
"""Regenerates the seeds of fuzz_fastshake (corpus/fastshake/*) from the
server answers of fuzz_hello's corpus (real OpenSSL 3.0 flights), in the
harness's input format (see the top of fuzz_fastshake.c): byte 0 the mode
(0 records, 1 TLS 1.3 messages, 2 TLS 1.2 messages), byte 1 the split.

    /usr/bin/python3 tests/fuzz/make_fastshake_seeds.py
"""

import os

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "corpus", "hello")
OUT = os.path.join(HERE, "corpus", "fastshake")


def records(data):
    o = 0
    while o + 5 <= len(data):
        n = int.from_bytes(data[o + 3:o + 5], "big")
        yield data[o], data[o + 5:o + 5 + n]
        o += 5 + n


def messages(hs):
    o = 0
    while o + 4 <= len(hs):
        n = int.from_bytes(hs[o + 1:o + 4], "big")
        yield hs[o], hs[o:o + 4 + n]
        o += 4 + n


def u24(n):
    return n.to_bytes(3, "big")


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in ("openssl_tls12", "openssl_tls13", "openssl_hello_retry",
                 "openssl_tls11_alert", "openssl_tls10_anon"):
        path = os.path.join(SRC, name)
        if not os.path.exists(path):
            continue
        data = open(path, "rb").read()
        with open(os.path.join(OUT, "records_" + name), "wb") as f:
            f.write(bytes([0, 128]) + data)
    tls12 = open(os.path.join(SRC, "openssl_tls12"), "rb").read()
    hs = b"".join(body for kind, body in records(tls12) if kind == 22)
    certs = [m for kind, m in messages(hs) if kind == 11]
    cert_msg = certs[0]
    with open(os.path.join(OUT, "tls12_certificate"), "wb") as f:
        f.write(bytes([2, 100]) + cert_msg)
    # The same certificate as TLS 1.3 messages: EncryptedExtensions (empty),
    # CertificateRequest, Certificate (request context, per-cert extensions).
    der_list = cert_msg[7:]
    entries, o = b"", 0
    while o + 3 <= len(der_list):
        n = int.from_bytes(der_list[o:o + 3], "big")
        entries += der_list[o:o + 3 + n] + b"\x00\x00"
        o += 3 + n
    body = b"\x00" + u24(len(entries)) + entries
    ee = b"\x08" + u24(2) + b"\x00\x00"
    cr_body = b"\x00" + b"\x00\x08" + b"\x00\x0d\x00\x04\x00\x02\x04\x03"
    cr = b"\x0d" + u24(len(cr_body)) + cr_body
    tls13 = ee + b"\x0b" + u24(len(body)) + body
    with open(os.path.join(OUT, "tls13_messages"), "wb") as f:
        f.write(bytes([1, 50]) + tls13)
    with open(os.path.join(OUT, "tls13_messages_cert_request"), "wb") as f:
        f.write(bytes([1, 200]) + ee + cr + b"\x0b" + u24(len(body)) + body)


if __name__ == "__main__":
    main()
