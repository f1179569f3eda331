"""A throw-away certificate authority, a server certificate for 127.0.0.1 and localhost, and a client certificate."""
import ipaddress
import ssl
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "srm-bridge sandbox"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def create_ca(folder: Path) -> tuple[Path, ssl.SSLContext]:
    """Write `ca.pem` (trust this) plus the server's key and chain; return the CA path and a server context."""
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder().subject_name(_name("srm-bridge sandbox CA")).issuer_name(_name("srm-bridge sandbox CA"))
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key, server_cert = _issue(ca_key, ca_cert, "localhost", now, ExtendedKeyUsageOID.SERVER_AUTH,
                                     [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    client_key, client_cert = _issue(ca_key, ca_cert, "SRM_BRIDGE", now, ExtendedKeyUsageOID.CLIENT_AUTH, [])
    ca_path = folder / "ca.pem"
    ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    chain_path, key_path = folder / "server-chain.pem", folder / "server-key.pem"
    chain_path.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM) + ca_path.read_bytes())
    key_path.write_bytes(_pem_key(server_key))
    key_path.chmod(0o600)
    client_path = folder / "client.pem"
    client_path.write_bytes(client_cert.public_bytes(serialization.Encoding.PEM) + _pem_key(client_key))
    client_path.chmod(0o600)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain_path, key_path)
    context.load_verify_locations(ca_path)
    context.verify_mode = ssl.CERT_OPTIONAL  # `require_client_certificate` makes it CERT_REQUIRED
    return ca_path, context


def client_certificate(ca_path: Path) -> Path:
    """The client certificate and key (one PEM) issued next to `ca.pem` by `create_ca`."""
    return ca_path.with_name("client.pem")


def require_client_certificate(context: ssl.SSLContext) -> None:
    context.verify_mode = ssl.CERT_REQUIRED


def _issue(ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate, common_name: str, now: datetime,
           usage: x509.ObjectIdentifier, names: list) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(ca_cert.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return key, builder.sign(ca_key, hashes.SHA256())
