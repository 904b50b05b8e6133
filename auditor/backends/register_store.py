"""The CAPA register's SQLite file: audits, items, actions, links and the hash-chained history.

One file that outlives audits, kept with sqlite-utils in WAL mode. Writers take
the write lock at the start of their transaction (``BEGIN IMMEDIATE``) and
item updates check the row's version in the ``UPDATE`` itself, so two people
changing the same item never lose an update: one wins, the other is told.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from ..errors import Location, StoreError
from .store import _patiently, store_full

KIND = "auditor-register"
SCHEMA_VERSION = 1
#: item columns holding JSON
JSON_FIELDS = (
    "evidence",
    "whys",
    "extent",
    "criterion",
    "verification",
    "acceptance",
    "acknowledged",
    "closed_before",
)

TABLES: dict[str, dict[str, Any]] = {
    "meta": {"columns": {"key": str, "value": str}, "pk": "key"},
    "audits": {
        "columns": {
            "id": int, "findings_sha256": str, "pack_id": str, "pack_sha256": str,
            "period": str, "first_day": str, "last_day": str, "recorded_at": str, "path": str,
        },
        "pk": "id",
    },
    "items": {
        "columns": {
            "id": str, "rule": str, "clause": str, "group_key": str, "severity": str,
            "status": str, "statement": str, "evidence": str, "due": str, "recurring": int,
            "escalation": str, "first_audit": int, "last_audit": int, "root_cause": str,
            "whys": str, "correction": str, "correction_date": str, "containment": str,
            "extent": str, "criterion": str, "verification": str, "acceptance": str,
            "acknowledged": str, "implemented_on": str, "version": int, "closed_before": str,
        },
        "pk": "id",
    },
    "actions": {
        "columns": {
            "item": str, "no": int, "text": str, "owner": str, "due": str, "done": str,
            "evidence": str,
        },
        "pk": ("item", "no"),
    },
    "links": {
        "columns": {
            "item": str, "audit": int, "finding": str, "period": str, "verdict": str,
            "severity": str, "value": float, "waiver": str, "waived_until": str,
        },
        "pk": ("item", "audit", "finding"),
    },
    "waivers": {
        "columns": {
            "id": int, "rule": str, "group_key": str, "reason": str, "risk": str,
            "requested_by": str, "approved_by": str, "valid_from": str, "valid_until": str,
            "revoked_on": str, "revoked_by": str, "created_on": str,
        },
        "pk": "id",
    },
    "history": {
        "columns": {
            "seq": int, "item": str, "at": str, "who": str, "field": str, "old": str,
            "new": str, "prev_hash": str, "hash": str,
        },
        "pk": "seq",
    },
}  # fmt: skip


class Conflict(StoreError):
    """An item changed since the caller read it."""


class RegisterStore:
    """Open (or create) a register file; refuse a file that is not one, or is from a newer version."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        where = Location(self.path)
        try:
            self.db = sqlite_utils.Database(self.path)
        except sqlite3.DatabaseError as exc:  # no permission, a folder, no such folder
            raise StoreError(
                f"cannot open the register: {exc}",
                location=where,
                hint="give a register file the auditor may read and write",
            ) from None
        try:
            self._open(where)
        except BaseException:  # a file that is not a register is left as it was, and closed
            self.db.close()
            raise

    def _open(self, where: Location) -> None:
        try:
            self.db.conn.isolation_level = None  # explicit transactions only
            self.db.execute("PRAGMA busy_timeout = 10000")
            tables = set(self.db.table_names())
            if tables and "meta" not in tables:  # refused before anything in it changes
                raise StoreError("not an auditor register (it has no meta table)", location=where)
            _patiently(lambda: self.db.execute("PRAGMA journal_mode=WAL"))  # it does not wait
            if not tables:  # new: of several processes making it at once, one makes its
                with self.transaction():  # tables, the others wait and find them
                    tables = set(self.db.table_names()) or self._create()
        except sqlite3.DatabaseError as exc:
            if store_full(exc):
                raise _no_room(exc, where) from None
            raise StoreError(f"not an auditor register: {exc}", location=where) from None
        if "meta" not in tables:
            raise StoreError("not an auditor register (it has no meta table)", location=where)
        self._check_meta(where)

    def _create(self) -> set[str]:
        """A new register's tables (inside the caller's transaction); their names."""
        with self.transaction():
            for name, spec in TABLES.items():
                self.db.table(name).create(spec["columns"], pk=spec["pk"], if_not_exists=True)
            self.db.table("meta").insert_all(
                [
                    {"key": "kind", "value": KIND},
                    {"key": "schema_version", "value": str(SCHEMA_VERSION)},
                ],
                replace=True,
            )
        return set(TABLES)

    def _check_meta(self, where: Location) -> None:
        meta = self.meta()
        if meta.get("kind") != KIND:
            raise StoreError("not an auditor register", location=where)
        version = int(meta.get("schema_version", "0"))
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"register of schema {version}, newer than this auditor's {SCHEMA_VERSION}",
                location=where,
                hint="use the auditor that wrote it",
            )

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction holding the write lock from its start (inside one: part of it)."""
        if self.db.conn.in_transaction:
            yield
            return
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(f"the register is busy: {exc}", location=Location(self.path)) from None
        try:
            yield
            self.db.execute("COMMIT")
        except BaseException as exc:
            if self.db.conn.in_transaction:  # SQLite may have rolled back already (a full disk)
                self.db.execute("ROLLBACK")
            if store_full(exc):
                raise _no_room(exc, Location(self.path)) from None
            raise

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads that see one state of the register (a read transaction: WAL keeps it while
        others write), so tables read one after the other agree with each other."""
        if self.db.conn.in_transaction:
            yield
            return
        self.db.execute("BEGIN")
        try:
            yield
        finally:
            if self.db.conn.in_transaction:
                self.db.execute("COMMIT")

    def meta(self) -> dict[str, str]:
        return {row["key"]: row["value"] for row in self.db.table("meta").rows}

    def holds_nothing(self) -> bool:
        """Whether nothing is recorded: no audit, item, waiver nor history row."""
        return all(
            self.db.table(name).count == 0 for name in ("audits", "items", "waivers", "history")
        )

    def set_meta(self, key: str, value: str) -> None:
        self.db.table("meta").upsert({"key": key, "value": value}, pk="key")

    # ------------------------------------------------------------ audits

    def audit_by_sha(self, sha256: str) -> dict[str, Any] | None:
        rows = list(self.db.table("audits").rows_where("findings_sha256 = ?", [sha256]))
        return rows[0] if rows else None

    def insert_audit(self, row: dict[str, Any]) -> int:
        return int(self.db.table("audits").insert(row).last_pk or 0)

    def audits(self) -> list[dict[str, Any]]:
        return list(self.db.table("audits").rows_where(order_by="id"))

    def audits_before(self, pack_id: str, first_day: str) -> list[dict[str, Any]]:
        """The audits of pack ``pack_id`` whose period ends before ``first_day``: the latest
        period first, and of one period the last recorded first."""
        return list(
            self.db.table("audits").rows_where(
                "pack_id = ? AND last_day < ?",
                [pack_id, first_day],
                order_by="last_day DESC, id DESC",
            )
        )

    # ------------------------------------------------------------ items

    def item(self, item_id: str) -> dict[str, Any] | None:
        rows = list(self.db.table("items").rows_where("id = ?", [item_id]))
        return _decoded(rows[0], self.path) if rows else None

    def items(self, where: str = "", params: list[Any] | None = None) -> list[dict[str, Any]]:
        rows = self.db.table("items").rows_where(where or None, params or [], order_by="id")
        return [_decoded(row, self.path) for row in rows]

    def rules_and_groups(self) -> set[tuple[str, str]]:
        """The (rule, group key) of every item."""
        rows = self.db.execute("SELECT DISTINCT rule, group_key FROM items").fetchall()
        return {(rule, group or "") for rule, group in rows}

    def item_rows(self) -> list[dict[str, Any]]:
        """Every item as stored (its JSON fields as text, not read)."""
        return list(self.db.table("items").rows_where(order_by="id"))

    def item_ids(self) -> list[str]:
        return [row["id"] for row in self.db.table("items").rows_where(select="id", order_by="id")]

    def latest_item(
        self, rule: str, group_key: str, pack_id: str, before: str | None = None
    ) -> dict[str, Any] | None:
        """The most recent item of a rule and group that an audit of pack ``pack_id`` opened,
        whatever its status (two packs may share a rule id for different requirements);
        with ``before``, the most recent opened before the item of that id."""
        earlier = "AND items.id < ? " if before is not None else ""
        cursor = self.db.execute(
            "SELECT items.* FROM items JOIN audits ON audits.id = items.first_audit "
            f"WHERE items.rule = ? AND items.group_key = ? AND audits.pack_id = ? {earlier}"
            "ORDER BY items.id DESC LIMIT 1",
            [rule, group_key, pack_id, *([before] if before is not None else [])],
        )
        return self._first_item(cursor)

    def item_for_period(
        self, rule: str, group_key: str, pack_id: str, first_day: str, last_day: str
    ) -> dict[str, Any] | None:
        """The most recent item of a rule and group that an audit of pack ``pack_id`` opened
        and that an audit of the period ``first_day``..``last_day`` found (opened or was
        linked to), whatever its status; None when no audit of that period found one. A
        finding waived in that period is not one found (the waiver set it aside)."""
        cursor = self.db.execute(
            "SELECT items.* FROM items JOIN audits AS opened ON opened.id = items.first_audit "
            "JOIN links ON links.item = items.id JOIN audits ON audits.id = links.audit "
            "WHERE items.rule = ? AND items.group_key = ? AND opened.pack_id = ? "
            "AND audits.first_day = ? AND audits.last_day = ? AND links.verdict <> 'waived' "
            "ORDER BY items.id DESC LIMIT 1",
            [rule, group_key, pack_id, first_day, last_day],
        )
        return self._first_item(cursor)

    def _first_item(self, cursor: Any) -> dict[str, Any] | None:
        names = [column[0] for column in cursor.description]
        row = cursor.fetchone()
        return _decoded(dict(zip(names, row, strict=True)), self.path) if row else None

    def next_number(self, year: int) -> int:
        prefix = f"CAPA-{year}-"
        row = self.db.execute(
            "SELECT MAX(CAST(SUBSTR(id, ?) AS INTEGER)) FROM items WHERE id LIKE ?",
            [len(prefix) + 1, prefix + "%"],
        ).fetchone()
        return int(row[0] or 0) + 1

    def insert_item(self, row: dict[str, Any]) -> None:
        """A new item; a column a later version added (``closed_before``) is added to a
        register an earlier version made, which has not got it."""
        self.db.table("items").insert(_encoded(row), alter=True)

    def update_item(self, item_id: str, changes: dict[str, Any], version: int) -> None:
        """Apply ``changes`` if the item is still at ``version``; else raise :class:`Conflict`.

        The version moves on by one, also with no change (an action of the item changed).
        """
        encoded = _encoded(changes)
        sets = "".join(f'"{k}" = ?, ' for k in encoded)
        cursor = self.db.execute(
            f'UPDATE items SET {sets}"version" = "version" + 1 WHERE id = ? AND "version" = ?',
            [*encoded.values(), item_id, version],
        )
        if cursor.rowcount != 1:
            now = self.item(item_id)
            current = now["version"] if now else "gone"
            raise Conflict(
                f"{item_id} changed since you read it (version {version} -> {current})",
                hint="run capa show and try again",
            )

    # ------------------------------------------------------------ actions, links

    def actions(self, item_id: str) -> list[dict[str, Any]]:
        return list(self.db.table("actions").rows_where("item = ?", [item_id], order_by="no"))

    def all_actions(self) -> list[dict[str, Any]]:
        return list(self.db.table("actions").rows_where(order_by="item, no"))

    def open_actions(self) -> list[dict[str, Any]]:
        """The actions not done, by item and number."""
        return list(
            self.db.table("actions").rows_where("done IS NULL OR done = ''", order_by="item, no")
        )

    def upsert_action(self, row: dict[str, Any]) -> None:
        self.db.table("actions").upsert(row, pk=("item", "no"))

    def insert_link(self, row: dict[str, Any]) -> None:
        """A finding linked to an item; a waived one's columns (``waiver``, ``waived_until``)
        are added to a register an earlier version made, which has not got them."""
        self.db.table("links").insert(row, ignore=True, alter=True)

    def findings_in_audit(self, audit: int) -> dict[str, str]:
        """The item each finding of a given audit was opened as or linked to, by finding id."""
        rows = self.db.execute(
            "SELECT finding, item FROM links WHERE audit = ? ORDER BY item", [audit]
        ).fetchall()
        return {finding: item for finding, item in rows}

    def links(self, item_id: str) -> list[dict[str, Any]]:
        return list(
            self.db.table("links").rows_where("item = ?", [item_id], order_by="audit, finding")
        )

    # ------------------------------------------------------------ waivers

    def insert_waiver(self, row: dict[str, Any]) -> int:
        self.db.table("waivers").create(TABLES["waivers"]["columns"], pk="id", if_not_exists=True)
        return int(self.db.table("waivers").insert(row).last_pk or 0)

    def waivers(self) -> list[dict[str, Any]]:
        if not self.db.table("waivers").exists():
            return []
        return list(self.db.table("waivers").rows_where(order_by="id"))

    def revoke_waiver(self, waiver_id: int, on: str, by: str) -> bool:
        cursor = self.db.execute(
            "UPDATE waivers SET revoked_on = ?, revoked_by = ? WHERE id = ? AND revoked_on IS NULL",
            [on, by, waiver_id],
        )
        return cursor.rowcount == 1

    # ------------------------------------------------------------ history

    def history(self, item_id: str | None = None) -> list[dict[str, Any]]:
        if item_id is None:
            return list(self.db.table("history").rows_where(order_by="seq"))
        return list(self.db.table("history").rows_where("item = ?", [item_id], order_by="seq"))

    def last_hash(self) -> str:
        row = self.db.execute("SELECT hash FROM history ORDER BY seq DESC LIMIT 1").fetchone()
        return str(row[0]) if row else ""

    def append_history(self, row: dict[str, Any]) -> None:
        self.db.table("history").insert(row)


def remove_register(path: str) -> None:
    """Remove the register file at ``path`` and the files SQLite keeps beside it."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(path + suffix).unlink(missing_ok=True)


def _no_room(exc: BaseException, where: Location) -> StoreError:
    return StoreError(
        f"cannot write the register: {exc} (a full disk or a file-size limit?); nothing was changed",
        location=where,
        hint="free some space or raise the limit, then run again",
    )


def _encoded(row: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (
            json.dumps(v, ensure_ascii=False, sort_keys=True)
            if k in JSON_FIELDS and v is not None
            else v
        )
        for k, v in row.items()
    }


def _decoded(row: dict[str, Any], path: str) -> dict[str, Any]:
    """An item's row with its JSON fields read; one that is not JSON (edited outside the
    tool) is an error naming the item and the field."""
    decoded = dict(row)
    for name in JSON_FIELDS:
        value = row.get(name)
        if isinstance(value, str):
            try:
                decoded[name] = json.loads(value)
            except ValueError:
                raise StoreError(
                    f"item {row.get('id')}: its {name} is not JSON ({_clipped(value)}); the "
                    "register was edited outside the tool",
                    location=Location(path),
                    hint="restore the register from a backup; auditor capa check names "
                    "history rows changed",
                ) from None
    return decoded


def _clipped(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
