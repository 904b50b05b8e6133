"""The package as a library: a lazy public API, no side effects on import, python -m auditor."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import auditor

ROOT = Path(__file__).resolve().parent.parent


def run_python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=60
    )
    return done.stdout.strip()


def test_importing_auditor_loads_nothing_heavy() -> None:
    heavy = ("matplotlib", "weasyprint", "openpyxl", "durable", "sqlite_utils", "jinja2")
    out = run_python(
        f"import sys, auditor; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    )
    assert out == ""


def test_an_audit_writing_findings_json_only_loads_no_report_machinery(tmp_path) -> None:
    """The report package (Jinja2, matplotlib) is imported only when a report is asked for."""
    out = run_python(
        "import sys\n"
        "from auditor.cli import main\n"
        "try:\n"
        f"    main(['audit', {str(ROOT / 'rules' / 'service-quality.yaml')!r},\n"
        f"          {str(ROOT / 'evidence' / 'demo' / 'service-quality')!r}, '--period', '2026-Q3',\n"
        f"          '--out', {str(tmp_path / 'out')!r}, '--format', 'json', '--quiet'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('auditor.report', 'jinja2', 'matplotlib', 'weasyprint')\n"
        "print('loaded:', ','.join(m for m in heavy if m in sys.modules))\n"
    )
    assert out.splitlines()[-1] == "loaded:"
    assert (tmp_path / "out" / "findings.json").exists()


def test_importing_the_audit_does_not_switch_the_matplotlib_backend() -> None:
    out = run_python(
        "import matplotlib; before = matplotlib.get_backend(); "
        "import auditor.audit, auditor.cli; print(matplotlib.get_backend() == before)"
    )
    assert out == "True"


def test_every_public_name_resolves() -> None:
    for name in auditor.__all__:
        assert getattr(auditor, name) is not None, name
    assert auditor.load_pack.__module__ == "auditor.pack"


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        auditor.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_python_m_auditor_runs_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "auditor", "--version"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout.strip() == f"auditor, version {auditor.__version__}"
