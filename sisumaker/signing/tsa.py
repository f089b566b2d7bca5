"""In-process RFC 3161 time-stamping with the regency TSA key.

pyHanko's `DummyTimeStamper` already builds standard TimeStampResp / TSTInfo structures and
signs them; this subclass makes it a proper regency TSA:
- the TSTInfo carries the regency's own TSA policy OID (not the demo OID) and an accuracy of 1 s;
- gen_time is an aware datetime, encoded in UTC whatever the worker's local time zone;
- the already-decrypted RSA key is used directly (no re-parsing per time stamp);
- the issuing CA certificate is embedded so a relying party can build the TSA's chain.
"""
from __future__ import annotations

import datetime as dt

from asn1crypto import cms, core, keys, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509 as c_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pyhanko.sign import general
from pyhanko.sign.timestamps.common_utils import get_nonce
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from .pki import Pki, PrivateKey

def hash_for(name: str) -> hashes.HashAlgorithm:
    """The SHA-2 hash object for a CMS digest name ("sha256", "sha384", "sha512")."""
    key = name.lower()
    if key == "sha256":
        return hashes.SHA256()
    if key == "sha384":
        return hashes.SHA384()
    if key == "sha512":
        return hashes.SHA512()
    raise ValueError(f"unsupported digest algorithm {name}")


def to_asn1_cert(cert: c_x509.Certificate) -> asn1_x509.Certificate:
    """Convert a `cryptography` certificate to asn1crypto (what pyHanko uses)."""
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def to_asn1_key(key: PrivateKey) -> keys.PrivateKeyInfo:
    """Convert a `cryptography` private key to an asn1crypto PrivateKeyInfo."""
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return keys.PrivateKeyInfo.load(der)


class RegencyTimeStamper(DummyTimeStamper):
    """RFC 3161 time stamper signing with the regency TSA certificate (RSA, PKCS#1 v1.5).

    Rule: a time stamp token always names the regency policy OID, states gen_time in UTC with
    accuracy 1 s, and is signed by the TSA certificate (EKU timeStamping, critical).
    """

    def __init__(self, tsa_cert: asn1_x509.Certificate, tsa_key: rsa.RSAPrivateKey,
                 policy_oid: str, chain: list[asn1_x509.Certificate],
                 fixed_dt: dt.datetime | None = None):
        store = SimpleCertificateStore.from_certs(chain)
        super().__init__(tsa_cert=tsa_cert, tsa_key=to_asn1_key(tsa_key), certs_to_embed=store,
                         fixed_dt=fixed_dt, include_nonce=True)
        self._key = tsa_key
        self._policy = policy_oid

    def _build_tst_info(self, message_imprint: tsp.MessageImprint, dt_: dt.datetime,
                        req: tsp.TimeStampReq) -> tsp.TSTInfo:
        args = {
            "version": "v1",
            "policy": tsp.ObjectIdentifier(self._policy),
            "message_imprint": message_imprint,
            "serial_number": get_nonce(),
            "gen_time": dt_,
            "accuracy": tsp.Accuracy({"seconds": 1}),
            "tsa": asn1_x509.GeneralName(name="directory_name", value=self.tsa_cert.subject),
        }
        if req["nonce"].native is not None:
            args["nonce"] = req["nonce"]
        return tsp.TSTInfo(args)

    def _sign_tst_info(self, tst_info_data: bytes, md_algorithm: str,
                       dt_: dt.datetime) -> tuple[bytes, cms.CMSAttributes]:
        digest = hashes.Hash(hash_for(md_algorithm))
        digest.update(tst_info_data)
        signed_attrs = cms.CMSAttributes([
            general.simple_cms_attribute("content_type", "tst_info"),
            general.simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(dt_)})),
            general.simple_cms_attribute("signing_certificate",
                                         general.as_signing_certificate(self.tsa_cert)),
            general.simple_cms_attribute("message_digest", digest.finalize()),
        ])
        signature = self._key.sign(signed_attrs.dump(), PKCS1v15(), hash_for(md_algorithm))
        return signature, signed_attrs


def make_timestamper(pki: Pki, *, fixed_dt: dt.datetime | None = None) -> RegencyTimeStamper:
    """A time stamper for this PKI (create once per process or batch and reuse)."""
    return RegencyTimeStamper(
        tsa_cert=to_asn1_cert(pki.tsa_cert), tsa_key=pki.tsa_key,
        policy_oid=pki.config.tsa_policy_oid,
        chain=[to_asn1_cert(pki.issuing_cert), to_asn1_cert(pki.root_cert)],
        fixed_dt=fixed_dt)
