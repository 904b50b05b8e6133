"""``python -m auditor``: the same command line as ``auditor``."""

import sys

from .interrupts import exit_code, interrupted_line, sigterm_interrupts

with sigterm_interrupts():  # from the start: a signal while the command line loads is one line too
    try:
        from .cli import main
    except KeyboardInterrupt as exc:
        print(interrupted_line(exc), file=sys.stderr)
        sys.exit(exit_code(exc))
    main(prog_name="auditor")
