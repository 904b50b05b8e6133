"""``python -m auditor``: the same command line as ``auditor``."""

from .cli import main

main(prog_name="auditor")
