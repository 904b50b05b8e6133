"""The CAPA register: audits recorded, one item per nonconformity, every change in the history.

Recording an audit is idempotent (an audit is known by its findings.json's
SHA-256). A nonconformity of a rule and group that an earlier item already
holds is linked to that item; when it comes back in another period (before or
after, whichever audit was recorded first) the item is flagged recurring, and a
recurring minor becomes major, with the reason on it. A re-audit of a period an item
was found in already (another findings.json, the same period) is linked to that item (its
verdict and value kept on the link) and changes nothing on it. A nonconformity of a closed
item's rule and group opens a new item: recurring (minor -> major) only when its period
starts after the closed item's fix was implemented, as it is otherwise. A nonconformity the
audit found waived under a waiver of the register opens nothing; the item of its rule and
group not closed, if there is one, is linked to it as waived (the waiver and its last day).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ..backends.register_store import RegisterStore, remove_register
from ..findings.contract import FindingEntry, FindingsDocument, RuleEntry, Severity, Verdict
from ..findings.nonconformities import (
    dealt_with,
    due_in_days,
    failing_total,
    nonconformities,
    waived_nonconformities,
)
from .history import as_text, broken_rows, chained, moment
from .lifecycle import (
    BY_VERIFICATION,
    CLOSED,
    LifecycleError,
    Status,
    accepted_by,
    check_action_due,
    check_implementation_date,
    check_move,
    check_not_accepted,
    check_not_closed,
    check_replanned,
    check_root_cause,
    plan_authors,
    raised_statement,
    status_of,
    stepped_up,
)
from .replay import Replayed, action_event, item_event, replay, waiver_event

#: the fields of an item's plan: changing one of them (or adding an action) changes the plan
PLAN_FIELDS = ("root_cause", "whys")

#: how many failing record keys an item keeps as objective evidence (all are in failing-records.csv)
EVIDENCE_KEYS = 20


@dataclass
class Recorded:
    """What recording one audit did."""

    audit: int | None
    already: bool = False
    created: list[str] = field(default_factory=list)
    linked: list[str] = field(default_factory=list)
    recurring: list[str] = field(default_factory=list)
    #: (item id, waiver id) of each item not closed whose nonconformity the audit found waived
    waived: list[tuple[str, str]] = field(default_factory=list)


#: the statuses of an item whose plan a certifier has accepted
PLAN_ACCEPTED = (Status.ACCEPTED, Status.IMPLEMENTED, Status.VERIFIED_EFFECTIVE)


@dataclass(frozen=True)
class TrackedAction:
    """An action the team has recorded for an item (capa update --action, --owner, --due)."""

    text: str
    owner: str = ""
    due: str = ""


@dataclass(frozen=True)
class TrackedItem:
    """The register's item for a nonconformity of an audit, as the register has it now."""

    id: str
    severity: str
    due: str
    plan_accepted: bool
    #: what the team has given (capa update --root-cause, --correction); "" until it has
    root_cause: str = ""
    correction: str = ""
    #: the item's status in the register ("" where not given)
    status: str = ""
    #: the actions the team has recorded, in their order; none until it has
    actions: tuple[TrackedAction, ...] = ()


def _tracked(item: dict[str, Any], actions: list[dict[str, Any]]) -> TrackedItem:
    return TrackedItem(
        item["id"], item["severity"], item["due"], item["status"] in PLAN_ACCEPTED,
        item.get("root_cause") or "", item.get("correction") or "", item["status"],
        tuple(TrackedAction(a["text"], a.get("owner") or "", a.get("due") or "") for a in actions),
    )  # fmt: skip


class Register:
    def __init__(self, path: str) -> None:
        self.store = RegisterStore(path)

    def close(self) -> None:
        self.store.close()

    # ------------------------------------------------------------ recording an audit

    def record_audit(
        self, document: FindingsDocument, sha256: str, path: str, today: date, who: str = "auditor"
    ) -> Recorded:
        """Record an audit and open, link or escalate one item per nonconformity."""
        with self.store.transaction():
            if self.store.audit_by_sha(sha256) is not None:
                return Recorded(None, already=True)
            period = document.manifest.parameters.period
            audit = self.store.insert_audit(
                {
                    "findings_sha256": sha256,
                    "pack_id": document.manifest.pack.id,
                    "pack_sha256": document.manifest.pack.sha256,
                    "period": period.label,
                    "first_day": period.first_day,
                    "last_day": period.last_day,
                    "recorded_at": today.isoformat(),
                    "path": _from_register(path, self.store.path),
                }
            )
            recorded = Recorded(audit)
            for key, rule, finding in nonconformities(document):
                self._one(document, audit, key, rule, finding, today, who, recorded)
            for key, rule, finding in waived_nonconformities(document):
                self._waived(document.manifest.pack.id, audit, key, rule, finding, recorded)
        return recorded

    def _waived(
        self,
        pack_id: str,
        audit: int,
        key: str,
        rule: RuleEntry,
        finding: FindingEntry,
        recorded: Recorded,
    ) -> None:
        """A nonconformity the audit found waived under a waiver of this register: linked, as
        waived under it until its last day, to the item of its rule and group not closed (if
        there is one), which is otherwise left as it is. A waiver the register does not hold
        (one of a waivers.yaml beside the pack) links nothing: the register cannot tell
        whether it is still in force."""
        waived = finding.waived
        item = self.store.latest_item(rule.rule, key, pack_id)
        if waived is None or item is None or item["status"] in CLOSED:
            return
        held = {f"W-{row['id']}": row for row in self.store.waivers()}
        if held.get(waived.waiver, {}).get("rule") != rule.rule:
            return
        self._add_link(item["id"], audit, finding, waived.waiver, waived.valid_until)
        recorded.waived.append((item["id"], waived.waiver))

    def previous_audit(self, pack_id: str, first_day: str) -> str | None:
        """The findings.json of the audit an audit of pack ``pack_id`` whose period starts on
        ``first_day`` is compared with: the latest recorded of an earlier period (one that ends
        before ``first_day``) whose file is still there; None when there is none."""
        for audit in self.store.audits_before(pack_id, first_day):
            found = _recorded_path(audit["path"], self.store.path)
            if found is not None:
                return found
        return None

    def _one(
        self,
        document: FindingsDocument,
        audit: int,
        key: str,
        rule: RuleEntry,
        finding: FindingEntry,
        today: date,
        who: str,
        recorded: Recorded,
    ) -> None:
        period = document.manifest.parameters.period
        found = self.store.item_for_period(
            rule.rule, key, document.manifest.pack.id, period.first_day, period.last_day
        )
        if found is not None:  # a re-audit of a period the item dealt with: linked, no change
            self._add_link(found["id"], audit, finding)
            recorded.linked.append(found["id"])
            return
        earlier = self.store.latest_item(rule.rule, key, document.manifest.pack.id)
        later = earlier is not None and self._apart(audit, earlier["first_audit"])
        if earlier is not None and earlier["status"] != Status.VERIFIED_EFFECTIVE:
            major_days = due_in_days(
                rule.capa.due_days, Severity.MAJOR, document.manifest.parameters.due_days
            )
            self._link(earlier, audit, finding, later, today, who, major_days)
            recorded.linked.append(earlier["id"])
            if later:
                recorded.recurring.append(earlier["id"])
            return
        beside = self.beside_closed(audit, earlier)
        closed = earlier if beside.get("recurs") else None
        item = self._new_item(document, audit, key, rule, finding, today, closed)
        item["closed_before"] = beside
        self.store.insert_item(item)
        self._log(item["id"], who, today, "created", None, item_event(item))
        self._add_link(item["id"], audit, finding)
        recorded.created.append(item["id"])
        if closed is not None:
            recorded.recurring.append(item["id"])

    def repeats(self, item: dict[str, Any]) -> str | None:
        """The id of the closed item that ``item`` was opened after (its rule and group of the
        same pack failing again once that one was closed); None for none."""
        beside = self.closed_before(item)
        return str(beside["item"]) if beside.get("recurs") else None

    def closed_before(self, item: dict[str, Any]) -> dict[str, Any]:
        """The closed item of its rule and group that ``item`` was opened beside, as recorded
        when it was opened (see :meth:`beside_closed`); for an item an earlier version
        recorded, which did not keep it, worked out now by the same rule."""
        if item.get("closed_before") is not None:
            return dict(item["closed_before"])
        earlier = self.opened_after(item)
        return self.beside_closed(item["first_audit"], earlier) if earlier else {"item": None}

    def opened_after(self, item: dict[str, Any]) -> dict[str, Any] | None:
        """The item of the same rule, group and pack opened last before ``item`` (closed when
        ``item`` was opened, or ``item`` would have been linked to it); None for none."""
        audit = {a["id"]: a for a in self.store.audits()}.get(item.get("first_audit"))
        if audit is None:
            return None
        return self.store.latest_item(item["rule"], item["group_key"], audit["pack_id"], item["id"])

    def beside_closed(self, audit: int, closed: dict[str, Any] | None) -> dict[str, Any]:
        """What an item the audit opens records of ``closed``, the closed item of its rule and
        group (None: there is none): its id (``item``), whether the audit's nonconformity is
        that problem coming back after its fix (``recurs``, minor -> major: the audit's period
        starts after the fix was implemented) and, when it is not, ``why``."""
        if closed is None:
            return {"item": None}
        audits = {a["id"]: a for a in self.store.audits()}
        period, found = audits[audit], audits[closed["first_audit"]]
        fixed_on = closed.get("implemented_on") or found["last_day"]
        if period["first_day"] > fixed_on:
            return {"item": closed["id"], "recurs": True}
        return {"item": closed["id"], "recurs": False, "why": _before_fix(period, found, closed)}

    def _apart(self, audit: int, first_audit: int) -> bool:
        """Whether the audit's period lies wholly before or after that of the item's first
        audit: the nonconformity recurs, whichever of the two was recorded first."""
        audits = {a["id"]: a for a in self.store.audits()}
        this, first = audits[audit], audits[first_audit]
        return bool(this["first_day"] > first["last_day"] or this["last_day"] < first["first_day"])

    def _new_item(
        self,
        document: FindingsDocument,
        audit: int,
        key: str,
        rule: RuleEntry,
        finding: FindingEntry,
        today: date,
        earlier: dict[str, Any] | None,
    ) -> dict[str, Any]:
        severity = str(finding.severity or rule.severity)
        escalation = None
        statement = f"{rule.title.en}: {finding.explanation}"
        if earlier is not None and severity == Severity.MINOR:
            severity, escalation = (
                str(Severity.MAJOR),
                f"recurring after {earlier['id']} was closed",
            )
            statement = raised_statement(statement, escalation)
        due_days = due_in_days(rule.capa.due_days, severity, document.manifest.parameters.due_days)
        number = self.store.next_number(today.year)
        return {
            "id": f"CAPA-{today.year}-{number:04d}",
            "rule": rule.rule,
            "clause": rule.clause,
            "group_key": key,
            "severity": severity,
            "status": str(Status.OPEN),
            "statement": statement,
            "evidence": _evidence(document, audit, finding, dealt_with(rule, key, finding)),
            "due": (today + timedelta(days=due_days)).isoformat(),
            "recurring": int(earlier is not None),
            "escalation": escalation,
            "first_audit": audit,
            "last_audit": audit,
            "extent": _extent(rule, finding),
            "criterion": {
                "rule": rule.rule,
                "window_days": 30,
                "target": finding.target,
                "timezone": document.manifest.parameters.timezone,
            },
            "version": 1,
        }

    def _link(
        self,
        item: dict[str, Any],
        audit: int,
        finding: FindingEntry,
        later: bool,
        today: date,
        who: str,
        major_days: int,
    ) -> None:
        changes: dict[str, Any] = {"last_audit": audit}
        if later and not item["recurring"]:
            changes["recurring"] = 1
        if later:
            changes |= stepped_up(item, "recurring in another period", today, major_days)
        self._apply(item, changes, who, today)
        self._add_link(item["id"], audit, finding)

    def _add_link(
        self,
        item_id: str,
        audit: int,
        finding: FindingEntry,
        waiver: str | None = None,
        until: str | None = None,
    ) -> None:
        """The audit's finding linked to the item; a waived one names its waiver and last day."""
        link = {
            "item": item_id,
            "audit": audit,
            "finding": finding.id,
            "period": finding.period,
            "verdict": str(finding.verdict),
            "severity": str(finding.severity) if finding.severity else None,
            "value": finding.value,
        }
        if waiver is not None:
            link |= {"waiver": waiver, "waived_until": until}
        self.store.insert_link(link)

    # ------------------------------------------------------------ changes

    def update(
        self,
        item_id: str,
        who: str,
        changes: dict[str, Any],
        version: int | None = None,
        today: date | None = None,
    ) -> dict[str, Any]:
        """Change an item's fields (a status move checked by the lifecycle); each change is in the history.

        A closed item is refused, and so is a move to a verified status: only
        :meth:`record_verification` makes that move.
        """
        item_id = self.item_id(item_id)
        with self.store.transaction():
            self._at_version(item_id, version)
            return self._update(item_id, who, changes, today or date.today())

    def record_verification(
        self, item_id: str, who: str, changes: dict[str, Any], today: date
    ) -> dict[str, Any]:
        """The outcome of a verification: the move to a verified status, with its figures."""
        item_id = self.item_id(item_id)
        target = status_of(str(changes.get("status")))
        if target not in BY_VERIFICATION:
            raise LifecycleError(
                f"a verification moves {item_id} to a verified status, not {target}"
            )
        with self.store.transaction():
            return self._update(item_id, who, changes, today, verifying=True)

    def accept(
        self,
        item_id: str,
        who: str,
        today: date | None = None,
        comment: str = "",
        version: int | None = None,
    ) -> dict[str, Any]:
        """A certifier accepts the item's plan (planned -> accepted), recorded with who, when
        and the comment: the one way to accepted (an update's move there is refused)."""
        item_id = self.item_id(item_id)
        day = today or date.today()
        acceptance = {"by": who, "on": day.isoformat(), "comment": comment}
        with self.store.transaction():
            check_not_accepted(self._at_version(item_id, version))
            changes = {"status": str(Status.ACCEPTED), "acceptance": acceptance}
            return self._update(item_id, who, changes, day, accepting=True)

    def _update(
        self,
        item_id: str,
        who: str,
        changes: dict[str, Any],
        today: date,
        verifying: bool = False,
        touched: bool = False,
        new_actions: bool = False,
        accepting: bool = False,
    ) -> dict[str, Any]:
        """The checks and the changes of one update, inside the caller's transaction;
        ``verifying``, ``accepting``: the move of a verification, of an acceptance;
        ``touched``: an action changed too, so the version moves on even with no field
        changed; ``new_actions``: an action was added (the plan changed).

        A change of the plan (root cause, whys, a new action) is checked whatever the
        status: the root cause is not blank nor blame. An accepted plan that changes goes
        back to planned, its acceptance void (the returned item's ``note`` says so); an
        implemented item's plan does not change (verify it first).
        """
        item = self.item(item_id)
        check_not_closed(item)
        note = None
        if not (verifying or accepting):
            changes = _without_repeated_move(item, changes)
        if "root_cause" in changes:
            text = changes["root_cause"]
            if text is None or not str(text).strip():
                raise LifecycleError(
                    f"{item_id}'s root cause needs a text, not a blank",
                    hint="say why the process let the nonconformity happen",
                )
            check_root_cause(str(text), item_id)
        replanned = new_actions or any(
            name in changes and changes[name] != item.get(name) for name in PLAN_FIELDS
        )
        if replanned:
            changes, note = self._replanned(item, changes)
        if "implemented_on" in changes:
            _check_implementation_dated(item, changes)
        found_in = self._earliest_audit(item_id) if changes.get("correction_date") else None
        _check_correction(item, changes, today, found_in)
        if "status" in changes:
            changes = self._moved(item, changes, who, verifying, accepting)
        if changes.get("implemented_on") or changes.get("status") == Status.IMPLEMENTED:
            on = changes.get("implemented_on") or item.get("implemented_on")
            if on:
                check_implementation_date(item_id, on, self.store.actions(item_id), today)
        changed = self._apply(item, changes, who, today, touched)
        updated = {**self.item(item_id), "changed": changed}
        if note:
            updated["note"] = note
        return updated

    def _earliest_audit(self, item_id: str) -> dict[str, Any] | None:
        """The audit of the earliest period that found the item's nonconformity (None for an
        item no audit is linked to): nothing of it could be seen before that period began."""
        found = {link["audit"] for link in self.store.links(item_id)}
        audits = [a for a in self.store.audits() if a["id"] in found]
        return min(audits, key=lambda a: str(a["first_day"]), default=None)

    def _moved(
        self,
        item: dict[str, Any],
        changes: dict[str, Any],
        who: str,
        verifying: bool,
        accepting: bool,
    ) -> dict[str, Any]:
        """The changes of an update that moves the item, its move checked: what the
        lifecycle allows, who accepts, a changed plan after an ineffective fix; back to
        open or planned, its acceptance is void (cleared)."""
        item_id, target = item["id"], status_of(str(changes["status"]))
        merged = {**item, **{k: v for k, v in changes.items() if k != "status"}}
        check_move(merged, target, self.store.actions(item_id), verifying, accepting)
        if target == Status.ACCEPTED:
            self._check_acceptor(item_id, who)
        if target == Status.PLANNED and item["status"] == Status.VERIFIED_INEFFECTIVE:
            cause = changes.get("root_cause", item.get("root_cause"))
            check_replanned(
                item_id, self.store.history(item_id), self.store.actions(item_id), cause
            )
        if target in (Status.OPEN, Status.PLANNED):  # a plan (made) again: its acceptance void
            changes = {**changes, "acceptance": None}
        return {**changes, "status": str(target)}

    def _replanned(
        self, item: dict[str, Any], changes: dict[str, Any]
    ) -> tuple[dict[str, Any], str | None]:
        """The changes of an update that changes the item's plan, and what to tell: an
        accepted plan goes back to planned (its acceptance void); an implemented one is refused."""
        current = Status(item["status"])
        if current == Status.IMPLEMENTED:
            raise LifecycleError(
                f"{item['id']} is implemented; its plan (root cause, whys, actions) no longer "
                "changes",
                hint=f"verify it (capa verify {item['id']}); a fix found ineffective is planned "
                "again",
            )
        if current != Status.ACCEPTED:
            return changes, None
        target = changes.get("status")
        if target is not None and status_of(str(target)) != Status.PLANNED:
            raise LifecycleError(
                f"{item['id']}'s plan changes, which sends it back from accepted to planned; "
                f"it cannot move to {target} in the same update",
                hint="change the plan, have it accepted again (capa accept), then move it on",
            )
        note = (
            f"the plan changed, so its acceptance{accepted_by(item.get('acceptance'))} is void; "
            "it waits for acceptance again (capa accept)"
        )
        return {**changes, "status": str(Status.PLANNED)}, note

    def _check_acceptor(self, item_id: str, who: str) -> None:
        """A plan is accepted by someone who wrote no part of it (as a waiver is approved
        by someone other than who asked for it), their names compared case aside."""
        wanted = who.strip().casefold()
        authors = plan_authors(self.store.history(item_id))
        author = next((name for name in authors if name.strip().casefold() == wanted), None)
        if author is not None:
            raise LifecycleError(
                f"{item_id}'s plan was made by {author}; it must be accepted by someone other "
                f"than {author}",
                hint="a certifier or the quality lead accepts a plan, not one who wrote its "
                "root cause, whys or actions: give --by their name",
            )

    def change(
        self,
        item_id: str,
        who: str,
        changes: dict[str, Any],
        version: int | None = None,
        action: tuple[str, str, date] | Sequence[tuple[str, str, date]] | None = None,
        done: int | Sequence[int] | None = None,
        today: date | None = None,
        whys: Sequence[str] = (),
    ) -> dict[str, Any]:
        """One ``capa update``: actions (text, owner, due), actions done, whys, field changes.

        Actions are added and marked done in the order given (one the item has open
        already, same text, owner and due date, is not added again); ``whys`` follow the
        item's whys, in order. All in one transaction, the version checked first: all of it
        lands or none of it (a conflict, a refused move or Ctrl-C half-way adds no action).
        The item's version moves on once, whatever the update changed (not at all when
        it changes nothing: the returned item's ``changed`` is False). A move to
        implemented is dated today unless ``changes`` give its ``implemented_on``.
        """
        item_id = self.item_id(item_id)
        day = today or date.today()
        actions = [action] if isinstance(action, tuple) else list(action or [])
        marked = [done] if isinstance(done, int) else list(done or [])
        if any(not why.strip() for why in whys):
            raise LifecycleError("a why needs a text, not a blank")
        with self.store.transaction():
            item = self._at_version(item_id, version)
            check_not_closed(item)
            moving = item["status"] != Status.IMPLEMENTED
            if moving and changes.get("status") == Status.IMPLEMENTED:
                changes = {"implemented_on": day.isoformat(), **changes}
            added = self._not_open_already(item_id, actions)
            for text, owner, due in added:
                self._new_action(item, who, text, owner, due, today=day)
            for number in marked:
                self._mark_done(item, number, who, day)
            if whys:
                changes = {**changes, "whys": [*(item.get("whys") or []), *whys]}
            touched = bool(added or marked)
            return self._update(
                item_id, who, changes, day, touched=touched, new_actions=bool(added)
            )

    def _not_open_already(
        self, item_id: str, actions: Sequence[tuple[str, str, date]]
    ) -> list[tuple[str, str, date]]:
        """The actions (text, owner, due) an update adds: each once, and none that is an
        open action of the item (not done) already, so an update run again adds nothing."""
        held = {
            (a["text"], a["owner"], a["due"])
            for a in self.store.actions(item_id)
            if not a.get("done")
        }
        added = []
        for text, owner, due in actions:
            if (text, owner, due.isoformat()) not in held:
                held.add((text, owner, due.isoformat()))
                added.append((text, owner, due))
        return added

    def _at_version(self, item_id: str, version: int | None) -> dict[str, Any]:
        """The item, if it is still at ``version`` (any version for None); else a conflict
        (a version it never had is refused as such, not as a change since)."""
        item = self.item(item_id)
        if version is not None and not 1 <= version <= item["version"]:
            from ..errors import AuditorError

            raise AuditorError(
                f"there is no version {version} of {item_id} (current: {item['version']})",
                hint=f"run capa show {item_id} and give the version it shows",
            )
        if version is not None and version != item["version"]:
            from ..backends.register_store import Conflict

            raise Conflict(
                f"{item_id} changed since you read it (version {version} -> {item['version']})",
                hint="run capa show and try again",
            )
        return item

    def add_action(
        self,
        item_id: str,
        who: str,
        text: str,
        owner: str,
        due: date,
        today: date | None = None,
        version: int | None = None,
    ) -> int:
        """A corrective action with its owner and due date; its number on the item.

        The item's version moves on (a conflict if it is no longer at ``version``).
        """
        item_id = self.item_id(item_id)
        day = today or date.today()
        with self.store.transaction():
            item = self._at_version(item_id, version)
            check_not_closed(item)
            number = self._new_action(item, who, text, owner, due, day)
            self._update(item_id, who, {}, day, touched=True, new_actions=True)
            return number

    def _new_action(
        self, item: dict[str, Any], who: str, text: str, owner: str, due: date, today: date
    ) -> int:
        check_action_due(item["id"], due, today)
        number = len(self.store.actions(item["id"])) + 1
        self.store.upsert_action(
            {"item": item["id"], "no": number, "text": text, "owner": owner, "due": due.isoformat()}
        )
        self._log(item["id"], who, today, f"action {number}", None, action_event(text, owner, due))
        return number

    def action_done(
        self, item_id: str, number: int, who: str, on: date, version: int | None = None
    ) -> None:
        """Mark an action done on ``on``; the item's version moves on."""
        item_id = self.item_id(item_id)
        with self.store.transaction():
            item = self._at_version(item_id, version)
            check_not_closed(item)
            self._mark_done(item, number, who, on)
            self._apply(item, {}, who, on, touched=True)

    def _mark_done(self, item: dict[str, Any], number: int, who: str, on: date) -> None:
        item_id = item["id"]
        actions = {a["no"]: a for a in self.store.actions(item_id)}
        if number not in actions:
            raise LifecycleError(f"{item_id} has no action {number} (actions: {len(actions)})")
        if actions[number].get("done"):
            by = [
                row["who"]
                for row in self.store.history(item_id)
                if row["field"] == f"action {number} done"
            ]
            raise LifecycleError(
                f"{item_id}'s action {number} is already done: it was marked done on "
                f"{actions[number]['done']}" + (f" by {by[-1]}" if by else "")
            )
        self.store.upsert_action({**actions[number], "done": on.isoformat()})
        self._log(
            item_id, who, on, f"action {number} done", actions[number].get("done"), on.isoformat()
        )

    def tracked(self, fingerprint: str, audit_named: str = "the audit") -> dict[str, TrackedItem]:
        """The item each nonconformity of the audit with this fingerprint is tracked as, by
        finding id, as the register has it now (its severity and due date may have moved on
        since: a recurring minor is major); an audit the register has not recorded is
        refused (its plan would name no item, as if none were tracked), by ``audit_named``."""
        from ..errors import AuditorError, Location

        audit = self.store.audit_by_sha(fingerprint)
        if audit is None:
            raise AuditorError(
                f"{audit_named} is not recorded in this register, so its plan cannot name the "
                "register's items",
                location=Location(self.store.path),
                hint="give the register the audit was recorded in, or record it there with "
                "auditor audit --register",
            )
        items = {item["id"]: item for item in self.store.items()}
        actions: dict[str, list[dict[str, Any]]] = {}
        for action in self.store.all_actions():  # one read, by item and number
            actions.setdefault(action["item"], []).append(action)
        return {
            finding: _tracked(items[item_id], actions.get(item_id, []))
            for finding, item_id in self.store.findings_in_audit(audit["id"]).items()
        }

    # ------------------------------------------------------------ waivers

    def add_waiver(self, waiver: Any, who: str, today: date) -> str:
        """Record a governed waiver (checked first); its id (``W-1``)."""
        from .waivers import WaiverError, check_waiver

        check_waiver(waiver, today)
        if waiver.valid_from < today:
            raise WaiverError(
                f"a waiver starts on the day it is recorded or later, not {waiver.valid_from}",
                hint="an audit applies the waivers in force on the day it runs",
            )
        self._check_group_waivable(waiver.rule, waiver.group_key)
        with self.store.transaction():
            number = self.store.insert_waiver(
                {
                    "rule": waiver.rule,
                    "group_key": waiver.group_key,
                    "reason": waiver.reason,
                    "risk": waiver.risk,
                    "requested_by": waiver.requested_by,
                    "approved_by": waiver.approved_by,
                    "valid_from": waiver.valid_from.isoformat(),
                    "valid_until": waiver.valid_until.isoformat(),
                    "created_on": today.isoformat(),
                }
            )
            self._log(
                f"W-{number}", who, today, "waiver", None, waiver_event(self._waiver_row(number))
            )
        return f"W-{number}"

    def _check_group_waivable(self, rule: str, group_key: str) -> None:
        """A waiver of a group is refused for a rule the register's items show judged pooled
        (it has items, none of a group): it covers none of the rule's nonconformities."""
        from .waivers import WaiverError

        groups = {g for r, g in self.store.rules_and_groups() if r == rule}
        if group_key and groups == {""}:
            raise WaiverError(
                f"{rule} is judged pooled (its items in the register name no group): a waiver "
                f"of the group {group_key} never applies",
                hint="waive the rule: leave out --group",
            )

    def _waiver_row(self, number: int) -> dict[str, Any]:
        return next(row for row in self.store.waivers() if row["id"] == number)

    def unlike_items(self, rule: str, group_key: str) -> str | None:
        """A warning when no item of the register names the rule (or its group) but one nearly
        does: a typo, or a rule waived ahead of any item; None otherwise."""
        from ..errors import closest_group, closest_name

        named = self.store.rules_and_groups()
        rules = sorted({r for r, _ in named})
        if rule not in rules and (near := closest_name(rule, rules)) is not None:
            return f"no item of the register has rule '{rule}' (did you mean '{near}'?)"
        groups = sorted({g for r, g in named if r == rule and g})
        if group_key and group_key not in groups and (near := closest_group(group_key, groups)):
            return (
                f"no item of the register has rule {rule} in group '{group_key}' (did you mean "
                f"'{near}'?)"
            )
        return None

    def revoke_waiver(self, waiver_id: str, who: str, today: date) -> str:
        """End a waiver in force today or ahead; its id (``W-1``, also for ``1`` or ``w-1``).

        An id no waiver has is refused with the closest one; a waiver not in force any more
        (revoked, saying when and by whom, or expired) is refused as such.
        """
        from ..errors import closest_name
        from .waivers import WaiverError

        text = waiver_id.strip()
        digits = text[2:] if text[:2].upper() == "W-" else text
        named = f"W-{int(digits)}" if digits.isdigit() else f"'{waiver_id}'"
        with self.store.transaction():
            rows = {f"W-{row['id']}": row for row in self.store.waivers()}
            row = rows.get(named)
            if row is None:
                raise WaiverError(
                    f"no waiver {named} in the register",
                    suggestion=closest_name(named.strip("'"), rows),
                )
            _check_revocable(named, row, today)
            self.store.revoke_waiver(row["id"], today.isoformat(), who)
            self._log(named, who, today, "revoked", None, today.isoformat())
        return named

    def waivers(self) -> list[Any]:
        from .waivers import from_row

        return [from_row(row) for row in self.store.waivers()]

    def item(self, item_id: str) -> dict[str, Any]:
        item = self.store.item(self.item_id(item_id))
        assert item is not None
        return item

    def item_id(self, text: str) -> str:
        """The id of the item ``text`` names, case and surrounding spaces aside
        (``capa-2026-0001`` names ``CAPA-2026-0001``); refused, with the closest, when none."""
        from ..errors import AuditorError, closest_name

        ids = self.store.item_ids()
        wanted = text.strip().casefold()
        found = next((known for known in ids if known.casefold() == wanted), None)
        if found is None:
            raise AuditorError(
                f"no CAPA item '{text}'", suggestion=closest_name(text, ids, fold_case=True)
            )
        return found

    def _apply(
        self,
        item: dict[str, Any],
        changes: dict[str, Any],
        who: str,
        today: date,
        touched: bool = False,
    ) -> bool:
        """Write the fields that change, each with its history row; the version moves on
        when one does, or when ``touched`` (an action of the item changed). Whether
        anything changed."""
        changed = {k: v for k, v in changes.items() if item.get(k) != v}
        if not changed and not touched:
            return False
        self.store.update_item(item["id"], changed, item["version"])
        for name, value in changed.items():
            self._log(item["id"], who, today, name, item.get(name), value)
        return True

    def _log(self, item_id: str, who: str, today: date, name: str, old: Any, new: Any) -> None:
        row = {
            "item": item_id,
            "at": moment(today),
            "who": who,
            "field": name,
            "old": as_text(old),
            "new": as_text(new),
        }
        entry = chained(row, self.store.last_hash())
        self.store.append_history(entry)
        self.store.set_meta("history_head", entry["hash"])

    # ------------------------------------------------------------ integrity

    def check(self) -> list[str]:
        """Every place where the history was changed or cut outside the tool, and every
        item, action and waiver its tables hold otherwise than the history says, any of
        their fields (empty: intact, but for what :meth:`integrity` names unchecked)."""
        return self.integrity().problems

    def integrity(self) -> Replayed:
        """The problems :meth:`check` names, and the fields the history cannot tell (those an
        item or waiver was created with in a register an earlier version made), not checked."""
        with self.store.snapshot():  # one state of the register, whoever writes meanwhile
            head = self.store.meta().get("history_head", "")
            history = self.store.history()
            items, actions = self.store.item_rows(), self.store.all_actions()
            waivers = self.store.waivers()
        replayed = replay(items, actions, waivers, history)
        return Replayed(broken_rows(history, head) + replayed.problems, replayed.unchecked)


def _from_register(path: str, register: str) -> str:
    """An audit's findings.json as the register keeps it: from the register's folder, so that
    it is found from any working folder, and when the two move together."""
    return os.path.relpath(Path(path).resolve(), Path(register).resolve().parent)


def _recorded_path(kept: str, register: str) -> str | None:
    """The findings.json a register keeps, when it is there: from the register's folder, or
    (a register that kept the path as given) from the working folder."""
    for place in (Path(register).resolve().parent / kept, Path(kept)):
        if place.is_file():
            return os.path.normpath(place)
    return None


def _before_fix(period: dict[str, Any], found: dict[str, Any], closed: dict[str, Any]) -> str:
    """Why the nonconformity of the audit of ``period`` is not the closed item's coming back
    after its fix: its period is an earlier one than the audit that ``found`` the closed item,
    or does not start after its fix (its implementation date; for an item recorded without
    one, the last day of the period that found it)."""
    if period["last_day"] < found["first_day"]:
        return (
            f"{period['period']} is an earlier period than {closed['id']} found ({found['period']})"
        )
    if closed.get("implemented_on"):
        return (
            f"{period['period']} starts before {closed['id']}'s fix was in place "
            f"(implemented {closed['implemented_on']})"
        )
    return (
        f"{period['period']} does not start after the period {closed['id']} found "
        f"({found['period']})"
    )


def _check_revocable(waiver_id: str, row: dict[str, Any], today: date) -> None:
    """A waiver is revoked while it is in force, or before it starts; one revoked already, or
    expired, is not in force: refused, saying since when."""
    from .waivers import WaiverError

    if row.get("revoked_on"):
        by = f" by {row['revoked_by']}" if row.get("revoked_by") else ""
        raise WaiverError(f"{waiver_id} was revoked on {row['revoked_on']}{by}")
    if date.fromisoformat(row["valid_until"]) < today:
        raise WaiverError(
            f"{waiver_id} is not in force: it expired on {row['valid_until']}",
            hint="an expired waiver applies to no audit; nothing to revoke",
        )


def _without_repeated_move(item: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """The changes of an update without a move the item has made already: a status that is
    its own, and the implementation date an implemented item has. No move (the rest of the
    update applies), rather than a move the lifecycle refuses."""
    repeated = set()
    if "status" in changes and status_of(str(changes["status"])) == item["status"]:
        repeated.add("status")
    if item["status"] == Status.IMPLEMENTED and _same_day(
        changes.get("implemented_on"), item.get("implemented_on")
    ):
        repeated.add("implemented_on")
    return {k: v for k, v in changes.items() if k not in repeated}


def _same_day(given: Any, recorded: Any) -> bool:
    """Whether ``given`` names the day ``recorded`` (both dates as text, YYYY-MM-DD)."""
    try:
        return date.fromisoformat(str(given)) == date.fromisoformat(str(recorded))
    except ValueError:
        return False


def _check_implementation_dated(item: dict[str, Any], changes: dict[str, Any]) -> None:
    """An implementation date is given with the move to implemented, and only then: not
    ahead of it, nor to move the date (and the verification window) of an implemented item."""
    moving = changes.get("status") is not None and status_of(str(changes["status"])) == (
        Status.IMPLEMENTED
    )
    if moving and item["status"] != Status.IMPLEMENTED:
        return
    if item.get("implemented_on"):
        raise LifecycleError(
            f"{item['id']} was implemented on {item['implemented_on']}; its implementation date "
            "does not change (its verification window starts the day after)",
            hint="verify it on evidence after that day",
        )
    raise LifecycleError(
        f"{item['id']} is {item['status']}; an implementation date is given with "
        "--status implemented",
        hint="mark its actions done, then give --status implemented --implemented-on DATE",
    )


def _evidence(
    document: FindingsDocument, audit: int, finding: FindingEntry, failing: list[FindingEntry]
) -> dict[str, Any]:
    """An item's objective evidence: the finding that shows it, and the failing records it
    deals with, those of ``failing`` (a group's in all its nonconforming sub-periods, as the
    audit's CAPA plan counts them), with the first of their keys."""
    return {
        "finding": finding.id,
        "audit": audit,
        "period": finding.period,
        "periods": [f.period for f in failing],
        "failing_count": failing_total(failing),
        "failing": [key for f in failing for key in f.failing][:EVIDENCE_KEYS],
        "files": {f.file: f.sha256 for f in document.manifest.evidence},
    }


def _extent(rule: RuleEntry, finding: FindingEntry) -> list[str]:
    """Where else the same rule fails in this audit: other groups and sub-periods."""
    return [
        f.id for f in rule.findings[1:] if f.verdict == Verdict.NONCONFORM and f.id != finding.id
    ]


@contextmanager
def opened_or_made(path: str) -> Iterator[Register]:
    """The register at ``path``, made when it is not there, for one command's work; closed
    after. One made here is removed again when that work fails and leaves it empty (a waiver
    refused, an audit not recorded): a mistyped --register leaves no empty register that
    later commands would read as a real one."""
    made = not Path(path).exists()
    register = Register(path)
    done = False
    try:
        yield register
        done = True
    finally:
        unused = made and not done and register.store.holds_nothing()
        register.close()
        if unused:
            remove_register(path)


def register_waivers(register_path: str) -> list[Any]:
    """The waivers of the register at ``register_path`` for an audit to apply (none when there
    is no register yet), once the register passes its check: a waiver added or changed
    outside the tool is never applied."""
    from ..errors import AuditorError, Location

    if not Path(register_path).exists():
        return []
    register = Register(register_path)
    try:
        problems = register.check()
        if problems:
            raise AuditorError(
                f"the register fails its check ({len(problems)} problem(s), the first: "
                f"{problems[0]}); its waivers are not applied: run auditor capa check "
                "--register on it",
                location=Location(register_path),
            )
        return list(register.waivers())
    finally:
        register.close()


def record_audit_file(register_path: str, findings_path: str, today: date) -> Recorded:
    """Record the audit whose findings.json is at ``findings_path`` in the register at ``register_path``.

    An audit is known by its fingerprint (the document without its generation
    time), so auditing the same evidence again records nothing new.
    """
    with opened_or_made(register_path) as register:
        document = FindingsDocument.load(findings_path)
        return register.record_audit(document, document.fingerprint(), str(findings_path), today)


def _check_correction(
    item: dict[str, Any], changes: dict[str, Any], today: date, found_in: dict[str, Any] | None
) -> None:
    """A correction is dated when it was made (not later than today, nor before the first day
    of ``found_in``, the audit period that found the nonconformity) and says what it was."""
    made = changes.get("correction_date")
    if made is None:
        return
    day = date.fromisoformat(str(made))
    if day > today:
        raise LifecycleError(
            f"{item['id']}'s correction is dated {made}, after today ({today}): a correction "
            "is recorded once made",
            hint="record it on or after the day it is made",
        )
    if found_in is not None and day < date.fromisoformat(found_in["first_day"]):
        raise LifecycleError(
            f"{item['id']}'s correction is dated {made}, before its nonconformity could be "
            f"seen: the audit period {found_in['period']} that found it began on "
            f"{found_in['first_day']}",
            hint=f"give the day it was made, {found_in['first_day']} or later",
        )
    if not (changes.get("correction") or item.get("correction")):
        raise LifecycleError(
            f"{item['id']} has no correction to date",
            hint="give --correction with what was done, and its --correction-date",
        )
