"""Ctrl-C and SIGTERM: both stop a command as an exception, never in the middle of a commit.

SIGINT already arrives as :class:`KeyboardInterrupt`; :func:`sigterm_interrupts`
makes SIGTERM arrive as :class:`Terminated` (a ``KeyboardInterrupt``), so that
every ``except BaseException`` cleanup (staging folders, temporary files, open
transactions) runs for both. :func:`held` delays both signals over the few
renames that swap a finished set of outputs in, so that a set is never half
moved.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: exit codes of a command stopped by a signal (128 + its number)
EXIT_INTERRUPTED = 128 + signal.SIGINT
EXIT_TERMINATED = 128 + signal.SIGTERM
STOPPING = (signal.SIGINT, signal.SIGTERM)


class Terminated(KeyboardInterrupt):
    """SIGTERM (a service manager, ``kill``), taken like Ctrl-C."""


def exit_code(interrupt: KeyboardInterrupt) -> int:
    return EXIT_TERMINATED if isinstance(interrupt, Terminated) else EXIT_INTERRUPTED


def interrupted_line(interrupt: KeyboardInterrupt) -> str:
    """The one line a command stopped by a signal prints."""
    name = "SIGTERM" if isinstance(interrupt, Terminated) else "SIGINT"
    return f"error: interrupted ({name}); nothing half-written was kept, run the command again"


def _terminate(signum: int, frame: Any) -> None:
    raise Terminated()


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """SIGTERM raises :class:`Terminated` inside the block; the earlier handler comes back after it."""
    if not _main_thread():
        yield
        return
    earlier = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, earlier)


@contextmanager
def held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block is over (then act as usual)."""
    if not _main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    earlier = signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, earlier)
