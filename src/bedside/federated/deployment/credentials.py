"""Credentials of a Flower deployment: the SuperLink's TLS certificate and the SuperNodes' keys.

Two independent mechanisms protect the link between a clinic's SuperLink and the sites or
devices (SuperNodes) that join it:

- TLS: the SuperLink serves its one HTTP API (Fleet, Control and Runtime) over TLS with a
  certificate issued by a CA the clinic controls; every SuperNode and the ``flwr`` CLI pin that CA
  (``--root-certificates`` / ``root-certificates``), so a network attacker can neither read the
  traffic nor impersonate the SuperLink.
- SuperNode authentication: each SuperNode holds an EC private key (OpenSSH format, NIST
  P-384); the clinic registers its public key (``flwr supernode register``) on a SuperLink started
  with ``--enable-supernode-auth``, which then accepts only requests signed by a registered key.

This module writes both as files, with ``cryptography`` only (no ``openssl`` or ``ssh-keygen``
needed): a throwaway CA and a server certificate whose subject alternative names are the
SuperLink's host names and IP addresses, and one key pair per SuperNode. In production the CA key
stays offline and each site generates its own key pair and sends only the public key.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from bedside.domain import ConfigurationError

__all__ = ["SuperNodeKeys", "TlsFiles", "write_supernode_keys", "write_tls_files"]


@dataclass(frozen=True)
class TlsFiles:
    """PEM files of the SuperLink's TLS setup.

    Attributes
    ----------
    ca_certificate : Path
        The CA certificate every SuperNode and the ``flwr`` CLI trust (``ca.crt``).
    server_certificate : Path
        The SuperLink's certificate, signed by the CA (``server.pem``).
    server_key : Path
        The SuperLink's private key (``server.key``, mode 0600).
    """

    ca_certificate: Path
    server_certificate: Path
    server_key: Path


@dataclass(frozen=True)
class SuperNodeKeys:
    """One SuperNode's authentication key pair (OpenSSH format, ECDSA P-384).

    Attributes
    ----------
    private_key : Path
        Stays on the SuperNode (``--auth-supernode-private-key``; mode 0600).
    public_key : Path
        Sent to the clinic, which registers it (``flwr supernode register``).
    """

    private_key: Path
    public_key: Path


def _write_private(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    path.chmod(0o600)


def _subject_alt_names(hosts: list[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def write_tls_files(
    out_dir: Path, hosts: list[str], *, days: int = 365, now: dt.datetime | None = None
) -> TlsFiles:
    """Write a new CA and a SuperLink certificate valid for `hosts` into `out_dir`.

    Parameters
    ----------
    out_dir : Path
        Created if missing; ``ca.crt``, ``ca.key``, ``server.pem`` and ``server.key`` are
        (over)written there.
    hosts : list of str
        Names and IP addresses the SuperLink is reached at (its certificate's subject
        alternative names), e.g. ``["127.0.0.1", "localhost", "fl.clinic.example"]``.
    days : int
        Validity of both certificates (days).
    now : datetime, optional
        Start of validity (UTC); the current time when omitted.

    Raises
    ------
    ConfigurationError
        No host, or a validity under one day.
    """
    if not hosts:
        raise ConfigurationError("write_tls_files: at least one host name or address is needed")
    if days < 1:
        raise ConfigurationError(f"write_tls_files: days must be >= 1, got {days}")
    out_dir.mkdir(parents=True, exist_ok=True)
    start = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(minutes=5)
    end = start + dt.timedelta(days=days)

    ca_key = ec.generate_private_key(ec.SECP384R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bedside federation CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA384())
    )

    server_key = ec.generate_private_key(ec.SECP384R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(_subject_alt_names(hosts)), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA384())
    )

    pem = serialization.Encoding.PEM
    files = TlsFiles(
        ca_certificate=out_dir / "ca.crt",
        server_certificate=out_dir / "server.pem",
        server_key=out_dir / "server.key",
    )
    files.ca_certificate.write_bytes(ca_cert.public_bytes(pem))
    _write_private(
        out_dir / "ca.key",
        ca_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
    )
    files.server_certificate.write_bytes(server_cert.public_bytes(pem))
    _write_private(
        files.server_key,
        server_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )
    return files


def write_supernode_keys(out_dir: Path, name: str) -> SuperNodeKeys:
    """Write a new ECDSA P-384 key pair for the SuperNode `name` (``name`` and ``name.pub``).

    Raises
    ------
    ConfigurationError
        `name` is empty or contains a path separator.
    """
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ConfigurationError(f"write_supernode_keys: invalid key name {name!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP384R1())
    keys = SuperNodeKeys(private_key=out_dir / name, public_key=out_dir / f"{name}.pub")
    _write_private(
        keys.private_key,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        ),
    )
    keys.public_key.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        + f" bedside-{name}\n".encode()
    )
    return keys
