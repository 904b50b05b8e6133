"""Ctrl-C and SIGTERM: both stop a command as an exception, never in the middle of a commit.

SIGINT already arrives as :class:`KeyboardInterrupt`; :func:`sigterm_interrupts`
makes SIGTERM arrive as :class:`Terminated` (a ``KeyboardInterrupt``), so that
every ``except BaseException`` cleanup (staging folders, temporary files, open
transactions) runs for both. :func:`held` delays both signals over the few
renames that swap a finished set of outputs in, so that a set is never half
moved.
"""

from __future__ import annotations

import _thread
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Executor, Future

T = TypeVar("T")

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


#: the stop signals this process has taken: a library may turn the exception a signal raised
#: inside it into one of its own (DuckDB's "Query interrupted", pydantic's SchemaError)
_TAKEN: list[int] = []


def _terminate(signum: int, frame: Any) -> None:
    _TAKEN.append(signal.SIGTERM)
    raise Terminated()


def _interrupt(signum: int, frame: Any) -> None:
    _TAKEN.append(signal.SIGINT)
    raise KeyboardInterrupt


def taken_interrupt() -> KeyboardInterrupt | None:
    """The interrupt a stop signal taken by this process raised (SIGTERM's, if both came),
    for an error a library made of it; None when no signal came."""
    if signal.SIGTERM in _TAKEN:
        return Terminated()
    return KeyboardInterrupt() if _TAKEN else None


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """SIGTERM raises :class:`Terminated` inside the block; the earlier handler comes back after it."""
    if not _main_thread():
        yield
        return
    _TAKEN.clear()  # a command starts: no signal taken yet
    earlier = signal.signal(signal.SIGTERM, _terminate)
    hook = sys.unraisablehook
    sys.unraisablehook = _sent_again(hook)
    try:
        yield
    finally:
        sys.unraisablehook = hook
        signal.signal(signal.SIGTERM, earlier)


def _sent_again(earlier: Callable[[Any], object]) -> Callable[[Any], None]:
    """An unraisable-exception hook that does not let Ctrl-C or SIGTERM get lost.

    A signal's exception raised inside a finaliser or a weakref callback (the
    garbage collector runs them, often inside WeasyPrint) cannot propagate:
    Python would print it as "Exception ignored" and go on as if nothing had
    happened. The hook sends the signal to the main thread again instead, so it
    lands in ordinary code and stops the command as it should. It is sent from
    another thread a moment later: sent from here, the main thread would take
    it at once, inside this hook, where it would be lost the same way.
    """

    def hook(unraisable: Any) -> None:
        interrupt = unraisable.exc_value
        if isinstance(interrupt, KeyboardInterrupt):
            number = signal.SIGTERM if isinstance(interrupt, Terminated) else signal.SIGINT
            again = threading.Timer(0.01, _thread.interrupt_main, args=(number,))
            again.daemon = True
            again.start()
            return
        earlier(unraisable)

    return hook


class SignalGate:
    """SIGINT and SIGTERM held inside ``with gate:`` until the block is over, and taken at
    once outside it, as the handlers before would take them.

    Made by :func:`signal_gate`, which swaps the handlers once for a loop of blocks (a
    watch's lines): entering a block sets a flag, no system call. The handler notes a
    signal rather than the signal being masked: a library's worker thread, OpenBLAS's for
    one, takes a signal the main thread blocks, and Python then runs the handler in the
    main thread anyway.
    """

    def __init__(self) -> None:
        self.earlier: dict[int, Any] = {}
        self.holding = False
        self.noted: list[int] = []

    def __enter__(self) -> None:
        self.holding = True

    def __exit__(self, *exc: object) -> None:
        self.holding = False
        noted, self.noted = self.noted, []
        if noted:  # now, with the handler it would have met (even when the block failed)
            self._take(noted[0], None)

    def _signal(self, number: int, frame: Any) -> None:
        if self.holding:
            self.noted.append(number)
        else:
            self._take(number, frame)

    def _take(self, number: int, frame: Any) -> None:
        handler = self.earlier.get(number)
        if callable(handler):
            handler(number, frame)
        elif handler == signal.SIG_DFL:
            signal.signal(number, handler)
            signal.raise_signal(number)


@contextmanager
def signal_gate() -> Iterator[SignalGate]:
    """A :class:`SignalGate` for the block, its handler in place of SIGINT's and SIGTERM's."""
    gate = SignalGate()
    if not _main_thread():  # only the main thread sets handlers; no signal is noted then
        yield gate
        return
    try:
        for stopping in STOPPING:  # each recorded as it is swapped: a signal between the two
            gate.earlier[stopping] = signal.signal(stopping, gate._signal)
        yield gate
    finally:
        for swapped, handler in gate.earlier.items():
            signal.signal(swapped, handler)


@contextmanager
def handlers_kept() -> Iterator[None]:
    """The SIGINT and SIGTERM handlers in place before the block are in place after it.

    For a library that sets its own while the block runs (pyspark's SparkContext
    sets one for SIGINT that calls the JVM from inside the signal, in the middle
    of the call the signal interrupted): Ctrl-C and SIGTERM stay the command's.
    """
    if not _main_thread():  # only the main thread sets handlers, a library's included
        yield
        return
    earlier = {number: signal.getsignal(number) for number in STOPPING}
    try:
        yield
    finally:
        for number, handler in earlier.items():
            if handler is not None:  # None: set outside Python, cannot be set back
                signal.signal(number, handler)


@contextmanager
def held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block is over (then act as usual)."""
    with signal_gate() as gate, gate:
        yield


def submit_held(pool: Executor, work: Callable[..., T], *args: Any) -> Future[T]:
    """``pool.submit(work, *args)`` with SIGINT and SIGTERM held until it returns.

    ``submit`` may start the pool's thread and wait inside ``Thread.start()``; a
    signal taken there leaves the work queued and soon running while the
    caller never gets its future, so nothing waits for it (the ingest's batch
    was stored on a connection the rollback was closing: a crash). Held, the
    signal is raised once the future is the caller's.
    """
    with held():
        return pool.submit(work, *args)


def run_command(command: Callable[[], object]) -> NoReturn:
    """The program: ``command`` with both signals as interrupts, then exit with its code.

    Called with SIGINT and SIGTERM blocked (``python -m auditor`` blocks them on
    its first line): they are let in only inside the command, so that one
    arriving while the command line loads is one line too. Once the command is
    over they are ignored: one arriving while the interpreter shuts down (the
    work done) cannot kill it half-way with no line. A command stopped by one
    leaves with ``os._exit`` once its line is out (its cleanup has run): the
    interpreter's own exit would, after a caught Ctrl-C, at times end the
    process by SIGINT instead of exit code 130.
    """
    code: object = 0
    signal.signal(signal.SIGTERM, _terminate)  # and it stays so until the finally below
    signal.signal(signal.SIGINT, _interrupt)  # KeyboardInterrupt as before, the signal noted
    try:
        try:
            with sigterm_interrupts():
                signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPPING)
                command()
        finally:
            for number in STOPPING:
                signal.signal(number, signal.SIG_IGN)
    except KeyboardInterrupt as interrupt:
        print(interrupted_line(interrupt), file=sys.stderr)
        code = exit_code(interrupt)
    except SystemExit as done:
        code = done.code
    if code in (EXIT_INTERRUPTED, EXIT_TERMINATED):  # stopped, its line printed, cleanup done
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(code))
    sys.exit(code)  # type: ignore[arg-type]


def console() -> NoReturn:
    """The ``auditor`` console script: the same program as ``python -m auditor``.

    The script's wrapper has imported this module before the first line here
    runs, so the signals are blocked from here on (``python -m auditor`` blocks
    them a few milliseconds sooner).
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)

    def command_line() -> None:
        from .cli import main

        main(prog_name="auditor")

    run_command(command_line)
