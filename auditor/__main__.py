"""``python -m auditor``: the same command line as ``auditor``."""

import _signal  # type: ignore[import-not-found]  # C only: Ctrl-C and SIGTERM wait from the first line until they can be taken cleanly

_signal.pthread_sigmask(_signal.SIG_BLOCK, {_signal.SIGINT, _signal.SIGTERM})

from .interrupts import run_command  # noqa: E402


def _command_line() -> None:
    from .cli import main

    main(prog_name="auditor")


run_command(_command_line)
