"""Governed waivers: a deviation accepted on purpose, by someone other than who asked, for a while.

A waiver names a rule (and optionally a group), a reason, a risk (low, medium,
high), who requested it and who approved it (never the same person), and a
validity ending at most a year out. While it is in force, a nonconformity it
covers is reported as **waived** with what it would have been; it fails no
``--fail-on`` and opens no CAPA item (an item of its rule and group that the
register holds already is linked to it as waived, and waits while the waiver is
in force). Once expired or revoked, the next audit shows the nonconformity again. Waivers live in the register, or in a
``waivers.yaml`` beside the pack.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ..errors import AuditorError, Location, PackErrors
from ..findings import RuleResult, group_text
from ..findings.results import worst

RISKS = ("low", "medium", "high")


class WaiverError(AuditorError):
    """A waiver that is not governed: same requester and approver, no or too late expiry, ..."""


@dataclass(frozen=True)
class Waiver:
    id: str
    rule: str
    group_key: str  # '' for the whole rule
    reason: str
    risk: str
    requested_by: str
    approved_by: str
    valid_from: date
    valid_until: date
    revoked_on: date | None = None

    def in_force(self, on: date) -> bool:
        revoked = self.revoked_on is not None and self.revoked_on <= on
        return self.valid_from <= on <= self.valid_until and not revoked

    def covers(self, rule: str, group_key: str) -> bool:
        return self.rule == rule and (not self.group_key or self.group_key == group_key)


def check_waiver(
    waiver: Waiver, today: date, where: Location | None = None, adding: bool = True
) -> None:
    """Refuse a waiver that is not governed (one line each problem); one being ``adding``
    must not have ended (a waivers.yaml may keep one that has: it is not in force)."""
    if waiver.risk not in RISKS:
        raise WaiverError(f"risk must be low, medium or high, not '{waiver.risk}'", location=where)
    if not waiver.reason.strip():
        raise WaiverError("a waiver needs a reason", location=where)
    if waiver.requested_by.strip().casefold() == waiver.approved_by.strip().casefold():
        raise WaiverError(
            f"the approver must not be the requester ({waiver.approved_by})",
            location=where,
            hint="a deviation is approved by someone other than who asks for it",
        )
    unnamed = [part for part in waiver.group_key.split(",") if part.strip() and "=" not in part]
    if unnamed:
        raise WaiverError(
            f"a group names its field and value, as the report does: site=SH, not "
            f"'{unnamed[0].strip()}'",
            location=where,
        )
    if waiver.valid_until < today and adding:
        raise WaiverError(f"the waiver expired on {waiver.valid_until}", location=where)
    if waiver.valid_until < waiver.valid_from:
        raise WaiverError("a waiver's --until is before its --from", location=where)
    start = today if waiver.valid_from == date.min else waiver.valid_from
    last = last_day_of_year_from(start)
    if waiver.valid_until > last:
        raise WaiverError(
            f"a waiver runs at most a year: from {start}, {waiver.valid_until} is beyond {last}",
            location=where,
        )


def last_day_of_year_from(start: date) -> date:
    """The last day of a year that starts on ``start`` (2026-12-05 -> 2027-12-04; one that
    starts on 29 February ends on 28 February)."""
    if (start.month, start.day) == (2, 29):  # the next year has no 29 February
        return date(start.year + 1, 2, 28)
    return start.replace(year=start.year + 1) - timedelta(days=1)


def check_rules(waivers: list[Waiver], rules: list[str], where: Location) -> None:
    """A waiver kept beside a pack names one of its rules (a typo would waive nothing)."""
    from ..errors import closest_name

    for waiver in waivers:
        if waiver.rule not in rules:
            raise WaiverError(
                f"waiver {waiver.id} names no rule of the pack: '{waiver.rule}'",
                location=where,
                suggestion=closest_name(waiver.rule, rules),
            )


def from_row(row: dict[str, Any]) -> Waiver:
    return Waiver(
        id=f"W-{row['id']}",
        rule=row["rule"],
        group_key=row.get("group_key") or "",
        reason=row["reason"],
        risk=row["risk"],
        requested_by=row["requested_by"],
        approved_by=row["approved_by"],
        valid_from=date.fromisoformat(row["valid_from"]),
        valid_until=date.fromisoformat(row["valid_until"]),
        revoked_on=date.fromisoformat(row["revoked_on"]) if row.get("revoked_on") else None,
    )


# ------------------------------------------------------------ waivers.yaml beside a pack


def load_waivers_file(
    path: Path, today: date | None = None, rules: list[str] | None = None
) -> list[Waiver]:
    """``waivers.yaml``: a list of waivers; a malformed or ungoverned one (as ``waiver add``
    refuses it), or one naming no rule of ``rules`` (the pack's), is an error at its place,
    never skipped."""
    from ..sourcemap import YamlList, YamlMap, load_yaml

    data = load_yaml(path)
    if not isinstance(data, YamlList):
        raise WaiverError("waivers.yaml must be a list of waivers", location=Location(str(path), 1))
    waivers, errors = [], []
    for index, item in enumerate(data):
        try:
            if not isinstance(item, YamlMap):
                raise WaiverError("each waiver is a mapping", location=data.where(index))
            waiver = _yaml_waiver(item, index)
            check_waiver(waiver, today or date.today(), item.start, adding=False)
            if rules is not None:
                check_rules([waiver], rules, item.where("rule"))
            waivers.append(waiver)
        except (WaiverError, ValueError, KeyError) as exc:
            where = data.where(index)
            errors.append(
                exc if isinstance(exc, AuditorError) else WaiverError(str(exc), location=where)
            )
    if errors:
        raise errors[0] if len(errors) == 1 else PackErrors(errors)  # type: ignore[arg-type]
    return waivers


def _yaml_waiver(item: Any, index: int) -> Waiver:
    keys = ("rule", "group", "reason", "risk", "requested_by", "approved_by", "from", "until")
    unknown = [k for k in item if k not in keys]
    if unknown:
        raise WaiverError(
            f"unknown key '{unknown[0]}' in a waiver", location=item.where_key(unknown[0])
        )
    for required in ("rule", "reason", "risk", "requested_by", "approved_by", "until"):
        if required not in item:
            raise WaiverError(f"a waiver needs '{required}'", location=item.start)
    start = item.get("from")
    return Waiver(
        id=f"Y-{index + 1}",
        rule=str(item["rule"]),
        group_key=str(item.get("group") or ""),
        reason=str(item["reason"]),
        risk=str(item["risk"]),
        requested_by=str(item["requested_by"]),
        approved_by=str(item["approved_by"]),
        valid_from=_date(start, item, "from") if start is not None else date.min,
        valid_until=_date(item["until"], item, "until"),
    )


def _date(value: Any, item: Any, key: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise WaiverError(
            f"'{value}' is not a date (YYYY-MM-DD)", location=item.where(key)
        ) from None


# ------------------------------------------------------------ applying waivers to results


def apply_waivers(results: list[RuleResult], waivers: list[Waiver], on: date) -> int:
    """Turn nonconformities covered by a waiver in force on ``on`` into ``waived``; how many."""
    active = [w for w in waivers if w.in_force(on)]
    count = 0
    for result in results:
        for finding in result.findings:
            key = group_text(finding.group)
            waiver = next((w for w in active if w.covers(result.rule, key)), None)
            if waiver is not None and finding.verdict == "nonconform":
                finding.waived = _waived(waiver, finding.verdict, finding.severity)
                finding.verdict, finding.severity = "waived", None
                count += 1
        _rule_verdict(result, active)
    return count


def _rule_verdict(result: RuleResult, active: list[Waiver]) -> None:
    """The rule's verdict once its findings are waived: still nonconform if any is left, else
    waived. A rule judged in each group is judged by its groups once one of them is waived:
    its pooled finding holds the waived group's records too, so it would report the waived
    nonconformity again as the rule's own (the groups left conforming, their pooled figure
    conforms as well)."""
    if result.verdict != "nonconform":
        return
    if result.judge == "each-group":
        groups_waived = any(f.waived for f in result.findings[1:])
        judged = result.findings[1:] if groups_waived else result.findings
        left = worst([f for f in judged if f.verdict != "waived"])
        if left is not None and left.verdict == "nonconform":
            result.verdict_severity = left.severity
            return
        waived = next((f.waived for f in result.findings if f.waived), None)
    else:
        waived = result.findings[0].waived
    if waived is not None:
        result.waived = {
            **waived,
            "would_be": {"verdict": result.verdict, "severity": result.verdict_severity},
        }
        result.verdict, result.verdict_severity = "waived", None


def _waived(waiver: Waiver, verdict: str, severity: str | None) -> dict[str, Any]:
    return {
        "waiver": waiver.id,
        "reason": waiver.reason,
        "risk": waiver.risk,
        "requested_by": waiver.requested_by,
        "approved_by": waiver.approved_by,
        "valid_until": waiver.valid_until.isoformat(),
        "would_be": {"verdict": verdict, "severity": severity},
    }
