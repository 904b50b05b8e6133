"""Evidence generators written for one pack's own kinds.

A pack whose kinds the general generators in :mod:`auditor.synth` do not know
gets a module here named after the pack id (``-`` becomes ``_``). The module
defines ``generators(synth)``, returning a generator function per kind name,
and may define ``LAYOUT`` (kind name -> file name, format, encoding, Chinese
headers) and ``BAD_ROWS`` (kinds that get a few bad rows on purpose). A
pack module's generators and layout take precedence over the general ones for
that pack only.
"""

from __future__ import annotations

import importlib
from types import ModuleType


def pack_module(pack_id: str) -> ModuleType | None:
    """The generator module written for ``pack_id``, or None when there is none."""
    name = f"{__name__}.{pack_id.replace('-', '_')}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise
