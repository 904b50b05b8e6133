"""The CAPA register: nonconformities worked off across audits (see docs/capa.md when it lands).

The store is :mod:`auditor.backends.register_store`; the lifecycle rules are in
:mod:`.lifecycle`; the hash-chained history in :mod:`.history`.
"""

from __future__ import annotations

from .lifecycle import LifecycleError, Status
from .register import Recorded, Register, nonconformities

__all__ = ["LifecycleError", "Recorded", "Register", "Status", "nonconformities"]
