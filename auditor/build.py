r"""Which build of auditor is running: a SHA-256 of its own source, recorded in findings.json.

The package's version stays the same from one change of the code to the next; the build
digest does not. It is the SHA-256 of the lines ``SHA256  PATH`` (as ``sha256sum`` prints
them), one for each file of the package that defines what it does (its Python modules, its
grammar, schemas, mapping presets and report templates), in the order of their paths
relative to the package folder (``/`` between folders), each line ending in a newline. So
a certifier can compute it without the tool, from the installed package folder::

    find . -type f \( -name '*.py' -o -name '*.lark' -o -name '*.json' -o -name '*.yaml' \
        -o -name '*.j2' -o -name '*.css' \) -not -path '*/__pycache__/*' \
      | sed 's|^\./||' | LC_ALL=C sort | xargs sha256sum | sha256sum

Compiled files (``__pycache__``) are left out: they are made from the source.
Nothing is read on import; the running build's digest is computed once, when first asked.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

#: the files whose bytes make the build: code, grammar, schemas, presets, templates
BEHAVIOUR_SUFFIXES = (".py", ".lark", ".json", ".yaml", ".j2", ".css")
#: the folders of compiled files, which the source makes
LEFT_OUT = "__pycache__"
#: the package folder of the running auditor
PACKAGE = Path(__file__).resolve().parent


def source_files(root: Path) -> list[tuple[str, Path]]:
    """Each file under ``root`` that defines behaviour, by its path relative to ``root``
    (``/`` between folders), in the order of those paths."""
    found = [
        (path.relative_to(root).as_posix(), path)
        for path in root.rglob("*")
        if path.suffix in BEHAVIOUR_SUFFIXES
        and path.is_file()
        and LEFT_OUT not in path.relative_to(root).parts
    ]
    return sorted(found)


def source_digest(root: Path) -> str:
    """The SHA-256 of the lines ``SHA256  PATH`` of :func:`source_files` under ``root``."""
    listing = hashlib.sha256()
    for name, path in source_files(root):
        listing.update(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {name}\n".encode())
    return listing.hexdigest()


@cache
def this_build() -> str:
    """The build digest of the running auditor (its package folder's :func:`source_digest`)."""
    return source_digest(PACKAGE)


def short(build: str) -> str:
    """A build digest as a person reads it: its first 12 characters and an ellipsis."""
    return f"{build[:12]}..."


def tool_entry() -> dict[str, str]:
    """What findings.json records of the tool that wrote it: name, version and build."""
    from . import __version__

    return {"name": "auditor", "version": __version__, "build": this_build()}
