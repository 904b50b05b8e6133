"""Check several packs at once, keeping each pack's problems apart.

Besides what loading checks, ``pack check`` holds a pack to its standard: a
measurable clause with neither a rule nor a ``not_covered`` entry is a problem,
and a rule whose number differs from its clause's without an
``interpretation`` is a warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import AuditorError, PackErrors
from .model import Pack
from .pack import load_pack
from .packtest import TESTS_SUFFIX


@dataclass
class PackReport:
    path: str
    pack: Pack | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: for a pack's test file: the pack it tests and how many cases it holds
    tests_of: tuple[Pack, int] | None = None


def check_pack(path: str | Path, standards_dirs: list[Path] | None = None) -> PackReport:
    """Load one pack; the report holds the pack or its problems, one line each.

    A pack's test file (``x.tests.yaml``) is checked as one: its pack loads and
    every case reads against it (the cases are run by ``pack test``).
    """
    report = PackReport(str(path))
    try:
        if is_tests_file(path):
            report.tests_of = _check_tests(Path(path), standards_dirs)
            return report
        report.pack = load_pack(path, standards_dirs)
    except PackErrors as exc:
        report.errors = [str(e) for e in exc.errors]
    except AuditorError as exc:
        report.errors = [str(exc)]
    if report.pack is not None:
        report.errors = [str(e) for e in report.pack.coverage_problems]
        report.warnings = [str(w) for w in report.pack.warnings]
    return report


def check_packs(paths: list[str], standards_dirs: list[Path] | None = None) -> list[PackReport]:
    return [check_pack(p, standards_dirs) for p in paths]


def is_tests_file(path: str | Path) -> bool:
    return Path(path).name.endswith(TESTS_SUFFIX)


def _check_tests(path: Path, standards_dirs: list[Path] | None) -> tuple[Pack, int]:
    from .packtest import load_cases

    pack = load_pack(path.with_name(path.name.removesuffix(TESTS_SUFFIX) + ".yaml"), standards_dirs)
    return pack, len(load_cases(pack, path))
