"""A throwaway self-signed certificate for the local streaming endpoint (`wss://` needs TLS, even on 127.0.0.1).

Generated at start with `cryptography`, written to a private temporary folder (Python's `ssl` loads files only),
never committed, gone when the endpoint stops. Its SPKI hash lets a test browser trust exactly this certificate
(`--ignore-certificate-errors-spki-list`).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import shutil
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class LocalCertificate:
    folder: Path
    cert_path: Path
    key_path: Path
    spki_sha256: str  # base64, as Chromium's --ignore-certificate-errors-spki-list takes it

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_path, self.key_path)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts this certificate only (for Python test clients)."""
        context = ssl.create_default_context(cafile=str(self.cert_path))
        # TLS 1.2 for Python's blocking clients: over TLS 1.3, about one run in eight of the streaming tests saw
        # the WebSocket handshake answer never arrive (websockets' sync client against asyncio's TLS server;
        # with this cap, none in thirty). Browsers keep TLS 1.3, and the browser test drives the endpoint with it.
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        return context

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def generate(host: str = "127.0.0.1", days: int = 7) -> LocalCertificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Face Liveness local streaming endpoint")])
    now = datetime.datetime.now(datetime.UTC)
    names: list[x509.GeneralName] = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    try:
        address = ipaddress.ip_address(host)
        if str(address) != "127.0.0.1":
            names.append(x509.IPAddress(address))
    except ValueError:
        names.append(x509.DNSName(host))
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = Path(tempfile.mkdtemp(prefix="liveness-local-tls-"))
    cert_path = folder / "cert.pem"
    key_path = folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.touch(mode=0o600)
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return LocalCertificate(folder, cert_path, key_path, base64.b64encode(hashlib.sha256(spki).digest()).decode())
