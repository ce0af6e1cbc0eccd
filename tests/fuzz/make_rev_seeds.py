#!/usr/bin/python3
"""Regenerates the seeds of fuzz_ocsp and fuzz_crl (corpus/ocsp/*,
corpus/crl/*) and rev_lab.h, the issuer and leaf the harnesses judge them
against: every seed is made for that pair, so that the fuzzer starts from
answers that get past the signature checks and reach the verdicts.

    /usr/bin/python3 tests/fuzz/make_rev_seeds.py

Times are fixed (the harnesses judge at 2030-01-01T00:00:00Z), the keys are
new at each run: run it again only to change the seeds, and commit
rev_lab.h with them. Needs Debian's python3-cryptography.
"""

import datetime
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
NOW = datetime.datetime(2030, 1, 1)
DAY = datetime.timedelta(days=1)


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def cert(cn, key, issuer_name, issuer_key, serial, ca=False, eku=None, urls=False):
    b = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(issuer_name)
         .public_key(key.public_key()).serial_number(serial)
         .not_valid_before(datetime.datetime(2020, 1, 1))
         .not_valid_after(datetime.datetime(2040, 1, 1))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), True))
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage(eku), False)
    if urls:
        b = b.add_extension(x509.AuthorityInformationAccess([
            x509.AccessDescription(x509.oid.AuthorityInformationAccessOID.OCSP,
                                   x509.UniformResourceIdentifier("http://127.0.0.1:1/"))]),
            False)
        b = b.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            [x509.UniformResourceIdentifier("http://127.0.0.1:1/ca.crl")], None, None, None)]),
            False)
    return b.sign(issuer_key, hashes.SHA256())


def write(path, data):
    with open(os.path.join(HERE, path), "wb") as f:
        f.write(data)


def main():
    ca_key, leaf_key, other_key = (ec.generate_private_key(ec.SECP256R1())
                                   for _ in range(3))
    ca = cert("Fuzz CA", ca_key, name("Fuzz CA"), ca_key, 1, ca=True)
    leaf = cert("fuzz.test", leaf_key, ca.subject, ca_key, 0x1001, urls=True)
    responder = cert("Fuzz OCSP", other_key, ca.subject, ca_key, 0x1002,
                     eku=[ExtendedKeyUsageOID.OCSP_SIGNING])
    other_ca = cert("Fuzz CA", other_key, name("Fuzz CA"), other_key, 1, ca=True)
    der = serialization.Encoding.DER

    os.makedirs(os.path.join(HERE, "corpus", "ocsp"), exist_ok=True)
    os.makedirs(os.path.join(HERE, "corpus", "crl"), exist_ok=True)

    def ocsp_resp(status, signer, key, certs=None, revoked=False):
        b = ocsp.OCSPResponseBuilder().add_response(
            cert=leaf, issuer=ca, algorithm=hashes.SHA1(), cert_status=status,
            this_update=NOW - DAY, next_update=NOW + 7 * DAY,
            revocation_time=NOW - 10 * DAY if revoked else None,
            revocation_reason=x509.ReasonFlags.key_compromise if revoked else None)
        b = b.responder_id(ocsp.OCSPResponderEncoding.HASH, signer)
        if certs:
            b = b.certificates(certs)
        return b.sign(key, hashes.SHA256()).public_bytes(der)

    S = ocsp.OCSPCertStatus
    write("corpus/ocsp/good.der", ocsp_resp(S.GOOD, ca, ca_key))
    write("corpus/ocsp/revoked.der", ocsp_resp(S.REVOKED, ca, ca_key, revoked=True))
    write("corpus/ocsp/unknown.der", ocsp_resp(S.UNKNOWN, ca, ca_key))
    write("corpus/ocsp/delegated.der",
          ocsp_resp(S.REVOKED, responder, other_key, [responder], revoked=True))
    write("corpus/ocsp/wrong_signer.der",
          ocsp_resp(S.REVOKED, other_ca, other_key, revoked=True))
    write("corpus/ocsp/unauthorized.der", ocsp.OCSPResponseBuilder.build_unsuccessful(
        ocsp.OCSPResponseStatus.UNAUTHORIZED).public_bytes(der))

    def crl(key, revoked=True, delta=False):
        b = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject)
             .last_update(NOW - DAY).next_update(NOW + 7 * DAY))
        for serial in (0x0fff, 0x1001) if revoked else (0x0fff,):
            b = b.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial)
                .revocation_date(NOW - 20 * DAY)
                .add_extension(x509.CRLReason(x509.ReasonFlags.superseded), False)
                .build())
        b = b.add_extension(x509.CRLNumber(7), False)
        if delta:
            b = b.add_extension(x509.DeltaCRLIndicator(6), True)
        return b.sign(key, hashes.SHA256())

    write("corpus/crl/revoked.der", crl(ca_key).public_bytes(der))
    write("corpus/crl/not_listed.der", crl(ca_key, revoked=False).public_bytes(der))
    write("corpus/crl/revoked.pem", crl(ca_key).public_bytes(serialization.Encoding.PEM))
    write("corpus/crl/delta.der", crl(ca_key, delta=True).public_bytes(der))
    write("corpus/crl/wrong_key.der", crl(other_key).public_bytes(der))

    pem = serialization.Encoding.PEM
    with open(os.path.join(HERE, "rev_lab.h"), "w") as f:
        f.write("/* Made by make_rev_seeds.py with the seeds of fuzz_ocsp and fuzz_crl:\n"
                " * the issuer and leaf they are about, and the time to judge at. */\n")
        f.write("#define REV_LAB_NOW %d /* 2030-01-01T00:00:00Z */\n"
                % int(NOW.replace(tzinfo=datetime.timezone.utc).timestamp()))
        for label, c in (("ISSUER", ca), ("LEAF", leaf)):
            f.write(f"static const char REV_LAB_{label}[] =\n")
            for line in c.public_bytes(pem).decode().splitlines():
                f.write(f'    "{line}\\n"\n')
            f.write(";\n")


if __name__ == "__main__":
    main()
