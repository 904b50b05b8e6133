"""Machine-readable standards: clauses with ids, bilingual titles and requirements."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import AuditorError, PackErrors, StandardFileError, closest_name, shown
from .sourcemap import YamlList, YamlMap, load_yaml

ASSESSMENTS = ("measurable", "judgement")
_CLAUSE_ID = re.compile(r"^\d+(\.\d+)*$")
_STANDARD_KEYS = ("standard", "title", "version", "source", "scope", "clauses")
_CLAUSE_KEYS = ("id", "title", "requirement", "assessment", "figures")


@dataclass(frozen=True)
class Text:
    """A short text in Chinese and English."""

    zh: str
    en: str


@dataclass(frozen=True)
class Clause:
    id: str
    title: Text
    requirement: str
    assessment: str  # "measurable" or "judgement"
    figures: tuple[str, ...] = ()
    #: where the clause starts in its standard file
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Standard:
    id: str
    title: Text
    version: str
    source: str
    clauses: dict[str, Clause]
    path: str
    sha256: str

    def clause(self, clause_id: str) -> Clause | None:
        return self.clauses.get(clause_id)


def read_text_pair(value: Any, where: Any, what: str, errors: list[AuditorError]) -> Text:
    """A ``{zh: ..., en: ...}`` mapping; both parts required."""
    if not isinstance(value, dict):
        errors.append(AuditorError(f"{what} must be a mapping with 'zh' and 'en'", location=where))
        return Text("", "")
    out = {}
    for lang in ("zh", "en"):
        text = value.get(lang)
        if not isinstance(text, str) or not text.strip():
            loc = value.where(lang) if isinstance(value, YamlMap) else where
            errors.append(AuditorError(f"{what} needs a non-empty '{lang}' text", location=loc))
            text = ""
        out[lang] = text
    for key in value:
        if key not in ("zh", "en"):
            loc = value.where_key(key) if isinstance(value, YamlMap) else where
            hint = None
            if value.get(key) is None:
                hint = 'a text with a comma in a {zh: ..., en: ...} pair must be quoted, e.g. en: "a, b"'
            errors.append(
                AuditorError(
                    f"unknown language '{key}' in {what} (use zh and en)", location=loc, hint=hint
                )
            )
    return Text(out["zh"], out["en"])


def unknown_keys(
    mapping: YamlMap, allowed: tuple[str, ...], what: str, errors: list[AuditorError]
) -> None:
    for key in mapping:
        if key not in allowed:
            errors.append(
                AuditorError(
                    f"unknown key '{key}' in {what}",
                    location=mapping.where_key(key),
                    suggestion=closest_name(key, allowed),
                )
            )


def load_standard(path: str | Path) -> Standard:
    """Read and check one standard file; raise with every problem found."""
    data = load_yaml(path)
    raw = Path(path).read_bytes()
    errors: list[AuditorError] = []
    if not isinstance(data, YamlMap):
        raise StandardFileError(
            "a standard must be a mapping", location=getattr(data, "start", None)
        )
    unknown_keys(data, _STANDARD_KEYS, "standard", errors)
    std_id = data.get("standard")
    if not isinstance(std_id, str) or not std_id:
        errors.append(StandardFileError("missing 'standard' (its id)", location=data.start))
        std_id = ""
    title = read_text_pair(data.get("title"), data.where("title"), "title", errors)
    version = data.get("version")
    if not isinstance(version, str | int | float):
        errors.append(StandardFileError("missing 'version'", location=data.start))
    clauses: dict[str, Clause] = {}
    items = data.get("clauses")
    if not isinstance(items, YamlList) or not items:
        errors.append(
            StandardFileError("'clauses' must be a non-empty list", location=data.where("clauses"))
        )
        items = YamlList()
        items.start = data.start
        items.item_locations = []
    for index, item in enumerate(items):
        clause = _read_clause(item, items.where(index), errors)
        if clause is None:
            continue
        if clause.id in clauses:
            errors.append(
                StandardFileError(f"duplicate clause id '{clause.id}'", location=items.where(index))
            )
        clauses[clause.id] = clause
    if errors:
        raise PackErrors(errors)
    return Standard(
        id=std_id,
        title=title,
        version=str(version),
        source=str(data.get("source", "")),
        clauses=clauses,
        path=str(path),
        sha256=hashlib.sha256(raw).hexdigest(),
    )


def _read_clause(item: Any, where: Any, errors: list[AuditorError]) -> Clause | None:
    if not isinstance(item, YamlMap):
        errors.append(StandardFileError("a clause must be a mapping", location=where))
        return None
    unknown_keys(item, _CLAUSE_KEYS, "clause", errors)
    clause_id = item.get("id")
    if not isinstance(clause_id, str) or not _CLAUSE_ID.match(clause_id):
        errors.append(
            StandardFileError(
                'clause id must be dotted numbers written as a string, e.g. "3.1.2", '
                f"not {shown(clause_id)}",
                location=item.where("id"),
            )
        )
        return None
    title = read_text_pair(
        item.get("title"), item.where("title"), f"title of clause {clause_id}", errors
    )
    requirement = item.get("requirement")
    if not isinstance(requirement, str) or not requirement.strip():
        errors.append(
            StandardFileError(f"clause {clause_id} needs a 'requirement'", location=item.start)
        )
        requirement = ""
    assessment = item.get("assessment")
    if assessment not in ASSESSMENTS:
        errors.append(
            StandardFileError(
                f"clause {clause_id}: assessment must be one of {', '.join(ASSESSMENTS)}",
                location=item.where("assessment"),
                suggestion=closest_name(str(assessment), ASSESSMENTS),
            )
        )
    figures = item.get("figures", [])
    if not isinstance(figures, list) or not all(isinstance(f, str) for f in figures):
        errors.append(
            StandardFileError(
                f"clause {clause_id}: figures must be a list of texts",
                location=item.where("figures"),
            )
        )
        figures = []
    return Clause(
        clause_id, title, requirement.strip(), str(assessment), tuple(figures), item.start.line
    )


def standard_files(directory: str | Path) -> list[Path]:
    return sorted(Path(directory).glob("*.yaml"))


def find_standard(standard_id: str, directories: list[Path], pack: Path | None = None) -> Standard:
    """Load the standard with this id from the first directory that has it (never the
    ``pack`` file itself, which may share its name and folder)."""
    known: list[str] = []
    for directory in directories:
        for path in standard_files(directory):
            if pack is not None and path.resolve() == pack.resolve():
                continue
            if path.stem == standard_id:
                standard = load_standard(path)
                if standard.id == standard_id:
                    return standard
            known.append(path.stem)
    raise AuditorError(
        f"unknown standard '{standard_id}' (looked in {', '.join(str(d) for d in directories)})",
        suggestion=closest_name(standard_id, known),
    )
