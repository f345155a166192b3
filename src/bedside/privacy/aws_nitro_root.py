"""The AWS Nitro Enclaves Root G1 certificate: the trust anchor of every Nitro attestation.

AWS publishes this certificate (``AWS_NitroEnclaves_Root-G1.zip``) and its SHA-256 fingerprint
``64:1A:03:21:...:8F:79:BB:5B`` in the Nitro Enclaves user guide ("Verifying the root of trust").
It is pinned here so verification never fetches anything; `aws_nitro_root_der` checks the
fingerprint every time it is read, so a modified constant fails loudly instead of trusting a
different root.
"""

from __future__ import annotations

import hashlib

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from bedside.privacy.errors import IdentityError

__all__ = ["AWS_NITRO_ROOT_G1_PEM", "AWS_NITRO_ROOT_G1_SHA256", "aws_nitro_root_der"]

AWS_NITRO_ROOT_G1_SHA256 = "641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b"

AWS_NITRO_ROOT_G1_PEM = b"""-----BEGIN CERTIFICATE-----
MIICETCCAZagAwIBAgIRAPkxdWgbkK/hHUbMtOTn+FYwCgYIKoZIzj0EAwMwSTEL
MAkGA1UEBhMCVVMxDzANBgNVBAoMBkFtYXpvbjEMMAoGA1UECwwDQVdTMRswGQYD
VQQDDBJhd3Mubml0cm8tZW5jbGF2ZXMwHhcNMTkxMDI4MTMyODA1WhcNNDkxMDI4
MTQyODA1WjBJMQswCQYDVQQGEwJVUzEPMA0GA1UECgwGQW1hem9uMQwwCgYDVQQL
DANBV1MxGzAZBgNVBAMMEmF3cy5uaXRyby1lbmNsYXZlczB2MBAGByqGSM49AgEG
BSuBBAAiA2IABPwCVOumCMHzaHDimtqQvkY4MpJzbolL//Zy2YlES1BR5TSksfbb
48C8WBoyt7F2Bw7eEtaaP+ohG2bnUs990d0JX28TcPQXCEPZ3BABIeTPYwEoCWZE
h8l5YoQwTcU/9KNCMEAwDwYDVR0TAQH/BAUwAwEB/zAdBgNVHQ4EFgQUkCW1DdkF
R+eWw5b6cp3PmanfS5YwDgYDVR0PAQH/BAQDAgGGMAoGCCqGSM49BAMDA2kAMGYC
MQCjfy+Rocm9Xue4YnwWmNJVA44fA0P5W2OpYow9OYCVRaEevL8uO1XYru5xtMPW
rfMCMQCi85sWBbJwKKXdS6BptQFuZbT73o/gBh1qUxl/nNr12UO8Yfwr6wPLb+6N
IwLz3/Y=
-----END CERTIFICATE-----
"""


def aws_nitro_root_der() -> bytes:
    """The pinned root certificate (DER), after checking its published SHA-256 fingerprint."""
    der = x509.load_pem_x509_certificate(AWS_NITRO_ROOT_G1_PEM).public_bytes(Encoding.DER)
    if hashlib.sha256(der).hexdigest() != AWS_NITRO_ROOT_G1_SHA256:
        raise IdentityError("pinned AWS Nitro root certificate does not match its fingerprint")
    return der
