"""docs/ keeps up with the code: every pack key, every measure and every command is documented."""

from __future__ import annotations

from pathlib import Path

import click

from auditor import pack as pack_module
from auditor.cli import main
from auditor.measures import measures

DOCS = Path(__file__).resolve().parent.parent / "docs"


def docs_text() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(DOCS.glob("*.md")))


def commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[str]:
    found = []
    for name, command in sorted(group.commands.items()):
        found.append(" ".join((*prefix, name)))
        if isinstance(command, click.Group):
            found.extend(commands(command, (*prefix, name)))
    return found


def test_every_pack_key_is_documented() -> None:
    text = docs_text()
    keys = set()
    for name in (
        "PACK_KEYS",
        "KIND_KEYS",
        "FIELD_KEYS",
        "CALENDAR_KEYS",
        "DEFAULT_KEYS",
        "RULE_KEYS",
        "CAPA_KEYS",
    ):
        keys |= set(getattr(pack_module, name))
    missing = sorted(k for k in keys if f"`{k}`" not in text and f"{k}:" not in text)
    assert not missing, f"pack keys not in docs/: {missing}"


def test_every_measure_is_documented() -> None:
    text = (DOCS / "rule-language.md").read_text(encoding="utf-8")
    missing = sorted(name for name in measures() if f"`{name}`" not in text)
    assert not missing, f"measures not in docs/rule-language.md: {missing}"


def test_every_command_is_documented() -> None:
    text = docs_text()
    missing = [c for c in commands(main) if f"auditor {c}" not in text]
    assert not missing, f"commands not in docs/: {missing}"


def test_the_architecture_names_every_subpackage() -> None:
    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    package = Path(pack_module.__file__).parent
    subpackages = sorted(p.name for p in package.iterdir() if (p / "__init__.py").exists())
    missing = [name for name in subpackages if f"{name}/" not in text]
    assert not missing, f"subpackages not in docs/architecture.md: {missing}"


def test_the_pack_test_example_passes_on_the_shipped_pack(tmp_path: Path) -> None:
    """docs/rule-language.md's pack-test example, as written, on rules/service-quality.yaml:
    it had given its case a period its records are not in."""
    from auditor.packtest import run_pack_tests

    text = (DOCS / "rule-language.md").read_text(encoding="utf-8")
    example = text.split("## Pack tests", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    tests = tmp_path / "example.tests.yaml"
    tests.write_text(example, encoding="utf-8")
    report = run_pack_tests(DOCS.parent / "rules" / "service-quality.yaml", tests)
    assert [(r.case.name, r.failures) for r in report.results] == [
        ("29 s is in time, 31 s is late, a 3 s hang-up is left out", [])
    ]
