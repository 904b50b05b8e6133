"""A stop signal that a library turns into an error of its own still stops the command as
the signal it was: one line, exit 130 for Ctrl-C and 143 for SIGTERM, never "internal error"."""

from __future__ import annotations

import signal

import pytest

from auditor import interrupts
from auditor.cli import internal_error
from auditor.interrupts import Terminated, taken_interrupt


@pytest.fixture
def taken(monkeypatch):
    signals: list[int] = []
    monkeypatch.setattr(interrupts, "_TAKEN", signals)
    return signals


def test_the_handlers_note_the_signal_they_raise_for(taken):
    assert taken_interrupt() is None
    with pytest.raises(KeyboardInterrupt) as raised:
        interrupts._interrupt(signal.SIGINT, None)
    assert not isinstance(raised.value, Terminated)
    assert type(taken_interrupt()) is KeyboardInterrupt
    with pytest.raises(Terminated):
        interrupts._terminate(signal.SIGTERM, None)
    assert isinstance(taken_interrupt(), Terminated)  # SIGTERM's, once both came


def test_a_command_starts_with_no_signal_taken(taken):
    taken.append(signal.SIGTERM)
    with interrupts.sigterm_interrupts():
        assert taken_interrupt() is None


@pytest.mark.parametrize(("signum", "code", "name"), [(2, 130, "SIGINT"), (15, 143, "SIGTERM")])
def test_an_error_made_of_a_signal_is_the_interrupt(taken, capsys, signum, code, name):
    """pydantic building a model when SIGTERM came raised SchemaError("... Terminated: ")."""
    taken.append(signum)
    assert internal_error(RuntimeError("Error building validator: Terminated: ")) == code
    err = capsys.readouterr().err
    assert err.startswith(f"error: interrupted ({name})") and "internal error" not in err


def test_an_error_with_no_signal_is_still_a_bug(taken, capsys, tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    assert internal_error(RuntimeError("boom")) == 3
    assert "internal error (RuntimeError: boom)" in capsys.readouterr().err


def test_duckdb_s_stopped_query_is_the_signal_that_stopped_it(taken):
    from auditor.backends.duckdb import as_interrupt

    taken.append(signal.SIGTERM)
    with pytest.raises(Terminated), as_interrupt():
        raise RuntimeError("Query interrupted")


def test_a_signal_held_while_the_block_fails_is_still_raised(taken, ctrl_c):
    """Ctrl-C noted inside held() is raised when the block ends, even when the block fails:
    it is not lost behind the block's own error."""
    with pytest.raises(KeyboardInterrupt) as caught, interrupts.held():
        signal.raise_signal(signal.SIGINT)
        raise RuntimeError("cannot start a thread")
    assert isinstance(caught.value.__context__, RuntimeError)
    assert signal.getsignal(signal.SIGINT) is not None


def test_a_reader_that_closes_the_output_stops_the_command_quietly(tmp_path) -> None:
    """`auditor ... | head -1`: the pipe closes before the output is written; exit 141 (as a
    command stopped by SIGPIPE) with nothing on stderr, never "internal error"."""
    import subprocess
    import sys

    from .conftest import RULES

    command = subprocess.Popen(
        [sys.executable, "-m", "auditor", "pack", "check", str(RULES / "service-quality.yaml")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    assert command.stdout is not None and command.stderr is not None
    command.stdout.close()  # before the first line is written
    error = command.stderr.read()
    assert (command.wait(timeout=60), error) == (141, b"")


def test_the_handlers_before_a_block_are_back_after_it() -> None:
    """pyspark's SparkContext sets a SIGINT handler of its own (it calls the JVM from inside
    the signal): the command's handlers are the ones in place once the block is over."""

    def ours(signum, frame):  # pragma: no cover - never called
        raise KeyboardInterrupt

    def library_s(signum, frame):  # pragma: no cover - never called
        raise KeyboardInterrupt

    before = {n: signal.signal(n, ours) for n in interrupts.STOPPING}
    try:
        with interrupts.handlers_kept():
            signal.signal(signal.SIGINT, library_s)
            signal.signal(signal.SIGTERM, library_s)
        assert [signal.getsignal(n) for n in interrupts.STOPPING] == [ours, ours]
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)
