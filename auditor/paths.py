"""Paths as an audit records them: relative to the evidence folder, in POSIX form."""

from __future__ import annotations

from pathlib import Path


def relative_path(path: str, root: str | None) -> str:
    """``path`` relative to the evidence root (a POSIX path), so an audit verifies on another machine."""
    if root is None:
        return Path(path).as_posix()
    base = Path(root)
    folder = base if base.is_dir() else base.parent
    try:
        return Path(path).resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()
