"""Detached Ed25519 signatures of findings.json (the ``cryptography`` package).

``keygen`` writes a private key (PEM, readable by its owner only) and its
public key beside it (``KEY.pub``); an audit signed with ``--sign-key`` writes
``findings.json.sig`` (the signature of the file's bytes, base64);
``check_signature`` refuses a findings.json changed by a single byte.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from ..atomic import write_bytes, write_text
from ..errors import AuditorError, Location, ReportError

SUFFIX = ".sig"


def keygen(path: Path) -> tuple[Path, Path]:
    """A new key pair: ``path`` (private) and ``path.pub`` (public)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    if path.exists():
        raise AuditorError(
            "a key is already there; choose another name", location=Location(str(path))
        )
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    write_bytes(path, private)
    os.chmod(path, 0o600)
    public_path = path.with_name(path.name + ".pub")
    write_bytes(public_path, public)
    return path, public_path


def sign(findings: Path, key_path: Path) -> Path:
    """Write ``findings.json.sig`` beside ``findings``."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise AuditorError(f"not a private key: {exc}", location=Location(str(key_path))) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditorError("not an Ed25519 private key", location=Location(str(key_path)))
    signature = base64.b64encode(key.sign(findings.read_bytes())).decode("ascii")
    target = findings.with_name(findings.name + SUFFIX)
    write_text(target, signature + "\n")
    return target


def check_signature(findings: Path, public_path: Path) -> None:
    """Raise when findings.json does not carry a valid signature of that public key."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    signature_path = findings.with_name(findings.name + SUFFIX)
    if not signature_path.exists():
        raise ReportError(
            "the audit is not signed (no findings.json.sig)", location=Location(str(findings))
        )
    try:
        key = serialization.load_pem_public_key(public_path.read_bytes())
        signature = base64.b64decode(
            signature_path.read_text(encoding="ascii").strip(), validate=True
        )
    except (OSError, ValueError) as exc:
        raise ReportError(
            f"cannot read the key or signature: {exc}", location=Location(str(public_path))
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise ReportError("not an Ed25519 public key", location=Location(str(public_path)))
    try:
        key.verify(signature, findings.read_bytes())
    except InvalidSignature:
        raise ReportError(
            "the signature does not match: findings.json was changed after it was signed, "
            "or it was signed with another key",
            location=Location(str(findings)),
        ) from None
