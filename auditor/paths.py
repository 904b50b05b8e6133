"""Paths as an audit records them: relative to the evidence folder, in POSIX form."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path, PurePath

from .errors import AuditorError, Location


@lru_cache(maxsize=4096)
def relative_path(path: str, root: str | None) -> str:
    """``path`` relative to the evidence root (a POSIX path), so an audit verifies on another machine."""
    if root is None:
        return Path(path).as_posix()
    base = Path(root)
    folder = base if base.is_dir() else base.parent
    # the file as found in the folder (a link there is named where it is, not where it
    # points), else as resolved (the folder given through a link)
    for file, within in (
        (os.path.abspath(path), os.path.abspath(folder)),
        (Path(path).resolve(), folder.resolve()),
    ):
        try:
            return Path(file).relative_to(within).as_posix()
        except ValueError:
            continue
    return Path(path).as_posix()


def recorded_relative(path: str, root: str | None) -> str:
    """``path`` relative to ``root``, both as an audit recorded them (as it was given them, from
    one working folder), so no file system is consulted: the name a file has in findings.json
    and failing-records.csv, found from any working folder later."""
    if root is None:
        return PurePath(path).as_posix()
    file, folder = PurePath(path), PurePath(root)
    if file == folder:  # the evidence was this one file
        return file.name
    try:
        return file.relative_to(folder).as_posix()
    except ValueError:
        return file.as_posix()


def recorded_path(name: str, root: str | None) -> str:
    """Where file ``name`` of an audit's evidence is, as the audit was given it (the inverse of
    :func:`recorded_relative`, no file system consulted): the evidence root itself when the
    evidence was that one file (recorded by its own name), else the root joined with it."""
    if root is None:
        return PurePath(name).as_posix()
    folder = PurePath(root)
    if folder.name == name:  # the evidence was this one file
        return folder.as_posix()
    return (folder / name).as_posix()


def working_relative(path: str) -> str:
    """``path`` relative to the working folder when it lies below it (POSIX form), else as it
    is: how a file the auditor found itself (a pack's standard) is named and recorded, as a
    pack given as ``rules/x.yaml`` is, with no machine's folders in it."""
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path


def output_folder(path: str | Path) -> Path:
    """``path`` made (with its parents) to write outputs into, or one clear line why it cannot be."""
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise AuditorError(
            "cannot write outputs here: it, or a folder above it, is a file",
            location=Location(str(folder)),
            hint="give --out a folder",
        ) from None
    except OSError as exc:
        raise AuditorError(
            f"cannot write outputs here: {exc.strerror or exc}",
            location=Location(str(folder)),
            hint="give --out a folder you can write to",
        ) from None
    return folder
