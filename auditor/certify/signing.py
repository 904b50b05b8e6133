"""Detached Ed25519 signatures of findings.json (the ``cryptography`` package).

``keygen`` writes a private key (PEM, readable by its owner only) and its
public key beside it (``KEY.pub``); an audit signed with ``--sign-key`` writes
``findings.json.sig`` (the signature of the file's bytes, base64);
``signature_problem`` names a findings.json changed by a single byte.
"""

from __future__ import annotations

import base64
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
    write_bytes(path, private, private=True)  # its owner's alone from the first byte
    public_path = path.with_name(path.name + ".pub")
    write_bytes(public_path, public)
    return path, public_path


def sign(findings: Path, key_path: Path) -> Path:
    """Write ``findings.json.sig`` beside ``findings``."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except OSError as exc:
        raise _unreadable(key_path, "private", exc) from None
    except (ValueError, TypeError):  # not PEM, damaged, or encrypted
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        raise _not_a_key(key_path, "private")
    signature = base64.b64encode(key.sign(findings.read_bytes())).decode("ascii")
    target = findings.with_name(findings.name + SUFFIX)
    write_text(target, signature + "\n")
    return target


def signature_problem(findings: Path, public_path: Path) -> str | None:
    """What is wrong with findings.json's signature by the key at ``public_path``: None when
    it is valid. A key that cannot be read is an input error (raised); a missing, unreadable
    or non-matching signature is a difference the caller reports."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(public_path.read_bytes())
    except OSError as exc:
        raise _unreadable(public_path, "public", exc) from None
    except (ValueError, TypeError):  # not PEM, or damaged
        key = None
    if not isinstance(key, Ed25519PublicKey):
        raise _not_a_key(public_path, "public")
    signature_path = findings.with_name(findings.name + SUFFIX)
    if not signature_path.exists():
        return f"the audit is not signed (no {signature_path.name})"
    try:
        text = signature_path.read_text(encoding="ascii").strip()
        signature = base64.b64decode(text, validate=True)
    except (OSError, ValueError):
        return f"{signature_path.name} does not hold a signature (base64 text)"
    if not text:
        return f"{signature_path.name} is empty: it holds no signature"
    try:
        key.verify(signature, findings.read_bytes())
    except InvalidSignature:
        return (
            "the signature does not match: findings.json was changed after it was signed, "
            "or it was signed with another key"
        )
    return None


def _unreadable(path: Path, which: str, exc: OSError) -> ReportError:
    return ReportError(
        f"cannot read the {which} key: {exc.strerror or exc}", location=Location(str(path))
    )


def _not_a_key(path: Path, which: str) -> ReportError:
    """The one line for a key file that is not what ``auditor keygen`` writes."""
    made = "KEY" if which == "private" else "KEY.pub"
    return ReportError(
        f"not an Ed25519 PEM {which} key made by `auditor keygen`",
        location=Location(str(path)),
        hint=f"give the {made} file `auditor keygen --out KEY` wrote",
    )
