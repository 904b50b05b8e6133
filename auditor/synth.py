"""Reproducible, realistic evidence for a pack (demo data and test data).

Known evidence kinds of the shipped packs get realistic generators: calls and
chats arrive in a daily pattern, wait in a queue (one site breaks the 30 s
target in one month), some callers give up; tickets take business-hours to
solve and sometimes wait for the customer; surveys, observations, visits,
complaints and training records follow. Any other kind gets plausible values
by field type. A few bad rows are written on purpose (an impossible date, an
unknown channel, a duplicate key, a short row) so that the ingest's quarantine
is exercised. Files come in the formats compliance officers send: CSV with
Chinese headers saved as GB18030, XLSX, JSONL and plain UTF-8 CSV.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import math
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from .atomic import staged_files
from .model import EvidenceKind, Pack
from .paths import output_folder
from .synth_packs import pack_module

SITES = ("BJ", "SH", "GZ")
#: relative call volume per hour of day (a contact centre's daily shape)
HOURLY = (1, 1, 1, 1, 1, 2, 4, 8, 18, 26, 28, 27, 20, 22, 26, 27, 24, 20, 14, 10, 7, 5, 3, 2)


@dataclass(frozen=True)
class SynthOptions:
    seed: int = 1
    records: int = 3000
    start: date = date(2026, 7, 1)
    end: date = date(2026, 9, 30)  # inclusive
    bad_rows: bool = True
    #: the site and month where the phone answer target is broken on purpose
    slow_site: str = "SH"
    slow_month: int = 8


class Synth:
    def __init__(self, pack: Pack, options: SynthOptions) -> None:
        self.pack = pack
        self.o = options
        self.rng = random.Random(options.seed)
        self.days = (options.end - options.start).days + 1

    # ------------------------------------------------------------ helpers

    def moment(self, hourly: tuple[int, ...] = HOURLY) -> datetime:
        day = self.o.start + timedelta(days=self.rng.randrange(self.days))
        hour = self.rng.choices(range(24), weights=hourly)[0]
        return datetime(day.year, day.month, day.day, hour) + timedelta(
            seconds=self.rng.randrange(3600)
        )

    def business_moment(self) -> datetime:
        while True:
            moment = self.moment()
            if moment.weekday() < 5 and 9 <= moment.hour < 18:
                return moment

    @staticmethod
    def text(moment: datetime | None) -> str:
        return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")

    # ------------------------------------------------------------ kinds

    def interactions(self) -> Iterator[dict[str, Any]]:
        for n in range(self.o.records):
            received = self.moment()
            site = self.rng.choice(SITES)
            channel = self.rng.choices(["phone", "chat", "email"], weights=[65, 30, 5])[0]
            if channel == "phone":
                mean = {"BJ": 7.0, "SH": 8.0, "GZ": 7.5}[site]
                if site == self.o.slow_site and received.month == self.o.slow_month:
                    mean = 30.0
                busy = 1.3 if HOURLY[received.hour] > 24 else 1.0
                wait = self.rng.expovariate(1 / (mean * busy))
            elif channel == "chat":
                wait = self.rng.expovariate(1 / 22.0)
            else:
                wait = self.rng.expovariate(1 / 1800.0)
            patience = self.rng.expovariate(1 / 240.0) if channel == "phone" else 10**6
            agent = f"{site}-A{self.rng.randrange(1, 21):02d}"
            if wait > patience:
                answered, ended, agent_id = None, received + timedelta(seconds=patience), ""
            else:
                answered = received + timedelta(seconds=wait)
                ended = answered + timedelta(seconds=self.rng.lognormvariate(5.3, 0.6))
                agent_id = "" if self.rng.random() < 0.005 else agent
            yield {
                "interaction_id": f"I{n + 1:07d}",
                "channel": channel,
                "site": site,
                "agent_id": agent_id,
                "received_at": self.text(received),
                "answered_at": self.text(answered),
                "ended_at": self.text(ended),
            }

    def tickets_and_history(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        tickets, history = [], []
        for n in range(max(self.o.records // 5, 40)):
            opened = self.business_moment()
            site = self.rng.choice(SITES)
            category = self.rng.choices(
                ["technical", "billing", "account", "general", ""], weights=[40, 20, 15, 24, 1]
            )[0]
            solve_hours = self.rng.lognormvariate(math.log(1.1), 0.6)
            first = opened + timedelta(hours=solve_hours)
            if first.hour >= 18:  # finished the next working morning
                first = first + timedelta(hours=15)
            status = self.rng.choices(
                ["closed", "resolved", "open", "waiting_customer"], weights=[85, 11, 3, 1]
            )[0]
            closed = (
                first + timedelta(hours=self.rng.uniform(1, 48))
                if status in ("closed", "resolved")
                else None
            )
            ticket_id = f"T{n + 1:06d}"
            if category == "technical" and self.rng.random() < 0.2:
                pause_start = opened + timedelta(minutes=self.rng.randrange(10, 60))
                pause_end = pause_start + timedelta(hours=self.rng.uniform(1, 20))
                history.append(
                    {
                        "ticket_id": ticket_id,
                        "status": "waiting_customer",
                        "entered_at": self.text(pause_start),
                        "left_at": self.text(pause_end),
                    }
                )
                first = first + (pause_end - pause_start)
            history.append(
                {
                    "ticket_id": ticket_id,
                    "status": "open",
                    "entered_at": self.text(opened),
                    "left_at": self.text(first),
                }
            )
            tickets.append(
                {
                    "ticket_id": ticket_id,
                    "category": category,
                    "site": site,
                    "opened_at": self.text(opened),
                    "first_solution_at": self.text(first),
                    "closed_at": self.text(closed),
                    "status": status,
                    "channel": self.rng.choice(["phone", "chat", "email"]),
                    "due_at": self.text(opened + timedelta(days=3)),
                    "priority": self.rng.choice(["P1", "P2", "P3"]),
                }
            )
        return tickets, history

    def surveys(self) -> Iterator[dict[str, Any]]:
        for n in range(max(self.o.records // 4, 40)):
            site = self.rng.choice(SITES)
            csat = self.rng.choices([1, 2, 3, 4, 5], weights=[2, 3, 8, 30, 57])[0]
            if site == self.o.slow_site and self.rng.random() < 0.15:
                csat = max(1, csat - 2)
            nps = min(10, max(0, round(self.rng.gauss(csat * 2 - 0.5, 1.3))))
            yield {
                "survey_id": f"S{n + 1:06d}",
                "site": site,
                "channel": self.rng.choices(["phone", "chat", "email"], weights=[65, 30, 5])[0],
                "answered_at": self.text(self.moment()),
                "csat": "" if self.rng.random() < 0.03 else csat,
                "nps_score": "" if self.rng.random() < 0.1 else nps,
            }

    def agents_and_training(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        agents, training = [], []
        for site in SITES:
            for number in range(1, 21):
                agent = f"{site}-A{number:02d}"
                active = self.rng.random() > 0.1
                agents.append({"agent_id": agent, "site": site, "active": "是" if active else "否"})
                months_ago = (
                    self.rng.choice([2, 4, 6, 9, 11, 14]) if self.rng.random() < 0.97 else 30
                )
                done = self.o.end - timedelta(days=30 * months_ago)
                training.append(
                    {"agent_id": agent, "course": "refresher", "completed_on": done.isoformat()}
                )
                if self.rng.random() < 0.95:
                    training.append(
                        {
                            "agent_id": agent,
                            "course": "service-standard",
                            "completed_on": (self.o.start - timedelta(days=200)).isoformat(),
                        }
                    )
        return agents, training

    def checklist(self) -> Iterator[dict[str, Any]]:
        items = sorted({item for r in self.pack.rules for item in r.measure.checklist_items()})
        for item in items:
            for site in SITES:
                result = (
                    "no"
                    if (item in ("ROOT-CAUSE", "SPOT-CHECKS") and site == self.o.slow_site)
                    else "yes"
                )
                yield {
                    "item": item,
                    "site": site,
                    "result": result,
                    "checked_on": (
                        self.o.end - timedelta(days=self.rng.randrange(1, 20))
                    ).isoformat(),
                    "auditor": "Li Wei",
                    "note": "" if result == "yes" else "no record found for the period",
                }

    def sites(self) -> Iterator[dict[str, Any]]:
        for site in SITES:
            yield {"site": site, "active": "true"}

    def observations(self) -> Iterator[dict[str, Any]]:
        for n in range(max(self.o.records // 10, 60)):
            site = self.rng.choice(SITES)
            sloppy = 0.12 if site == self.o.slow_site else 0.03
            steps = self.rng.choice([6, 8, 10])
            yield {
                "observation_id": f"O{n + 1:05d}",
                "site": site,
                "staff_id": f"{site}-S{self.rng.randrange(1, 15):02d}",
                "observed_at": self.text(self.business_moment()),
                "uniform_ok": self.rng.random() > sloppy,
                "badge_worn": self.rng.random() > sloppy / 2,
                "tidy": self.rng.random() > sloppy / 2,
                "greeted": self.rng.random() > sloppy,
                "polite": self.rng.random() > 0.02,
                "patient": self.rng.random() > 0.02,
                "sop_steps_total": steps,
                "sop_steps_done": steps if self.rng.random() > sloppy else steps - 1,
                "tools_ok": self.rng.random() > 0.02,
                "observer": "Zhang Min",
            }

    def visits(self) -> Iterator[dict[str, Any]]:
        for n in range(max(self.o.records // 5, 60)):
            requested = self.business_moment()
            promised = requested + timedelta(hours=24)
            took = self.rng.lognormvariate(math.log(14), 0.6)
            completed = requested + timedelta(hours=took) if self.rng.random() > 0.02 else None
            found = self.rng.random() < 0.3
            yield {
                "visit_id": f"V{n + 1:06d}",
                "site": self.rng.choice(SITES),
                "technician": f"TECH-{self.rng.randrange(1, 30):02d}",
                "requested_at": self.text(requested),
                "promised_by": self.text(promised),
                "completed_at": self.text(completed),
                "service_minutes": round(self.rng.lognormvariate(math.log(55), 0.5), 1),
                "problem_found": found,
                "problem_resolved": (self.rng.random() > 0.04) if found else "",
                "complained": self.rng.random() < 0.012,
            }

    def equipment_checks(self) -> Iterator[dict[str, Any]]:
        for n in range(max(self.o.records // 10, 60)):
            yield {
                "check_id": f"E{n + 1:05d}",
                "equipment_id": f"EQ-{self.rng.randrange(1, 40):03d}",
                "site": self.rng.choice(SITES),
                "checked_at": self.text(self.business_moment()),
                "working": self.rng.random() > 0.015,
            }

    def complaint_events(self) -> Iterator[dict[str, Any]]:
        """Received, acknowledged, resolved, followed up: mostly in time, some late, a few odd."""
        for n in range(max(self.o.records // 40, 30)):
            complaint = f"CP{n + 1:05d}"
            site = self.rng.choice(SITES)
            received = self.moment()
            ack = received + timedelta(hours=self.rng.expovariate(1 / 6.0))
            resolved = received + timedelta(hours=self.rng.lognormvariate(math.log(50), 0.6))
            followed = resolved + timedelta(hours=self.rng.uniform(2, 200))
            steps = [
                ("received", received),
                ("acknowledged", ack),
                ("resolved", resolved),
                ("followed_up", followed),
            ]
            odd = self.rng.random()
            if odd < 0.03:
                steps = [s for s in steps if s[0] != "acknowledged"]  # a skipped step
            elif odd < 0.05:
                steps.append(("acknowledged", ack + timedelta(hours=3)))  # a repeated step
            for name, when in steps:
                if when.date() <= self.o.end:
                    yield {
                        "complaint_id": complaint,
                        "event": name,
                        "at": self.text(when),
                        "site": site,
                    }

    def feedback(self) -> Iterator[dict[str, Any]]:
        for n in range(max(self.o.records // 8, 40)):
            score = self.rng.choices([1, 2, 3, 4, 5], weights=[3, 4, 10, 33, 50])[0]
            sentiment = "negative" if score <= 2 else ("neutral" if score == 3 else "positive")
            yield {
                "feedback_id": f"F{n + 1:05d}",
                "site": self.rng.choice(SITES),
                "received_at": self.text(self.moment()),
                "score": score,
                "sentiment": sentiment,
                "actioned": sentiment != "negative" or self.rng.random() > 0.1,
            }

    def generic(self, kind: EvidenceKind) -> Iterator[dict[str, Any]]:
        for n in range(max(self.o.records // 10, 20)):
            row: dict[str, Any] = {}
            for name, spec in kind.fields.items():
                if name in kind.key:
                    row[name] = f"{kind.name[:3].upper()}{n + 1:06d}"
                elif spec.type in ("timestamp",):
                    row[name] = self.text(self.moment())
                elif spec.type == "date":
                    row[name] = (
                        self.o.start + timedelta(days=self.rng.randrange(self.days))
                    ).isoformat()
                elif spec.type in ("integer", "number", "duration"):
                    row[name] = self.rng.randrange(0, 100)
                elif spec.type == "boolean":
                    row[name] = self.rng.random() > 0.1
                elif spec.type == "enum":
                    row[name] = self.rng.choice(spec.values)
                else:
                    row[name] = (
                        self.rng.choice(SITES)
                        if name == "site"
                        else f"{name}-{self.rng.randrange(1, 20)}"
                    )
            yield row


# ------------------------------------------------------------ writing files


def _chinese_header(kind: EvidenceKind, name: str) -> str:
    spec = kind.fields[name]
    chinese = [a for a in spec.aliases if any("\u4e00" <= ch <= "\u9fff" for ch in a)]
    return chinese[0] if chinese else name


def _write_csv(
    path: Path, kind: EvidenceKind, rows: list[dict[str, Any]], encoding: str, chinese: bool
) -> None:
    names = list(kind.fields)
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([_chinese_header(kind, n) if chinese else n for n in names])
        for row in rows:
            if "__raw__" in row:
                writer.writerow(row["__raw__"])
                continue
            writer.writerow([_cell(row.get(n)) for n in names])


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def _write_jsonl(path: Path, kind: EvidenceKind, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            if "__raw__" in row:
                handle.write(",".join(str(v) for v in row["__raw__"]) + "\n")
                continue
            clean = {k: (None if v == "" else v) for k, v in row.items()}
            handle.write(json.dumps(clean, ensure_ascii=False) + "\n")


def _write_xlsx(path: Path, kind: EvidenceKind, rows: list[dict[str, Any]]) -> None:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(kind.title.zh[:30] or kind.name)
    names = list(kind.fields)
    sheet.append([_chinese_header(kind, n) for n in names])
    for row in rows:
        if "__raw__" in row:
            sheet.append(list(row["__raw__"]))
            continue
        cells = []
        for n in names:
            value = row.get(n)
            spec = kind.fields[n]
            if spec.type == "timestamp" and value:
                with contextlib.suppress(ValueError):  # a deliberately broken value stays text
                    value = datetime.fromisoformat(str(value))
            cells.append(_cell(value))
        sheet.append(cells)
    book.properties.created = WRITTEN_AT
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(_reproducible(buffer.getvalue()))


#: the time a generated workbook says it was made and saved, and its parts' zip times: one
#: fixed moment, so that the same seed gives the same bytes (openpyxl writes the clock's)
WRITTEN_AT = datetime(2026, 1, 1)
_MODIFIED = re.compile(rb"<dcterms:modified([^>]*)>[^<]*</dcterms:modified>")


def _reproducible(workbook: bytes) -> bytes:
    """The workbook with its saved time and its parts' zip times set to :data:`WRITTEN_AT`."""
    import zipfile

    stamp = WRITTEN_AT.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as read, zipfile.ZipFile(out, "w") as written:
        for entry in read.infolist():
            data = read.read(entry)
            if entry.filename == "docProps/core.xml":
                data = _MODIFIED.sub(
                    rb"<dcterms:modified\1>" + stamp + rb"</dcterms:modified>", data
                )
            part = zipfile.ZipInfo(entry.filename, WRITTEN_AT.timetuple()[:6])
            part.compress_type = zipfile.ZIP_DEFLATED
            written.writestr(part, data)
    return out.getvalue()


#: how each known kind is written: (file name, format, encoding, Chinese headers)
LAYOUT: dict[str, tuple[str, str, str, bool]] = {
    "interactions": ("interactions-2026Q3.csv", "csv", "gb18030", True),
    "tickets": ("tickets-2026Q3.xlsx", "xlsx", "", True),
    "ticket_status": ("ticket_status.csv", "csv", "utf-8", False),
    "surveys": ("surveys.jsonl", "jsonl", "utf-8", False),
    "agents": ("agents.csv", "csv", "utf-8-sig", True),
    "training": ("training.csv", "csv", "utf-8", False),
    "checklist": ("checklist.csv", "csv", "utf-8-sig", True),
    "observations": ("observations-2026Q3.csv", "csv", "gb18030", True),
    "visits": ("visits-2026Q3.xlsx", "xlsx", "", True),
}


def _bad_rows(kind: EvidenceKind, rows: list[dict[str, Any]], rng: random.Random) -> None:
    """A few rows a real export would have: each is quarantined with a clear reason."""
    if len(rows) < 10:
        return
    time_fields = [n for n, f in kind.fields.items() if f.type == "timestamp" and not f.optional]
    enums = [n for n, f in kind.fields.items() if f.type == "enum" and not f.optional]
    if time_fields:
        broken = dict(rows[rng.randrange(len(rows))])
        broken[kind.key[0]] = broken[kind.key[0]] + "-X1"
        broken[time_fields[0]] = "2026-02-30 10:00:00"
        rows.append(broken)
    if enums:
        broken = dict(rows[rng.randrange(len(rows))])
        broken[kind.key[0]] = broken[kind.key[0]] + "-X2"
        broken[enums[0]] = "fax"
        rows.append(broken)
    rows.append(dict(rows[rng.randrange(len(rows))]))  # a duplicate key
    rows.append({"__raw__": [rows[0][kind.key[0]] + "-X3", "short row"]})


def synthesise(pack: Pack, out: str | Path, options: SynthOptions | None = None) -> dict[str, int]:
    """Write evidence for every kind of ``pack`` into ``out``; return rows written per file."""
    options = options or SynthOptions()
    synth = Synth(pack, options)
    target = Path(out)
    output_folder(target)
    produced: dict[str, list[dict[str, Any]]] = {}
    if "tickets" in pack.evidence or "ticket_status" in pack.evidence:
        produced["tickets"], produced["ticket_status"] = synth.tickets_and_history()
    if "agents" in pack.evidence or "training" in pack.evidence:
        produced["agents"], produced["training"] = synth.agents_and_training()
    own = pack_module(pack.id)
    own_generators = own.generators(synth) if own is not None else {}
    layout = {**LAYOUT, **getattr(own, "LAYOUT", {})}
    bad_kinds = {"interactions", "tickets", "observations", "surveys"} | set(
        getattr(own, "BAD_ROWS", ())
    )
    simple: dict[str, Callable[[], Iterator[dict[str, Any]]]] = {
        "interactions": synth.interactions,
        "surveys": synth.surveys,
        "checklist": synth.checklist,
        "sites": synth.sites,
        "observations": synth.observations,
        "visits": synth.visits,
        "equipment_checks": synth.equipment_checks,
        "complaint_events": synth.complaint_events,
        "feedback": synth.feedback,
    }
    written: dict[str, int] = {}
    with staged_files(target) as stage:  # every file or none: an earlier set stays whole
        for name, kind in pack.evidence.items():
            if name in own_generators:
                rows = list(own_generators[name]())
            elif name in produced:
                rows = produced[name]
            elif name in simple:
                rows = list(simple[name]())
            else:
                rows = list(synth.generic(kind))
            rows = [
                {k: v for k, v in row.items() if k in kind.fields or k == "__raw__"} for row in rows
            ]
            if options.bad_rows and name in bad_kinds:
                _bad_rows(kind, rows, synth.rng)
            file_name, fmt, encoding, chinese = layout.get(
                name, (f"{name}.csv", "csv", "utf-8", False)
            )
            path = stage / file_name
            if fmt == "xlsx":
                _write_xlsx(path, kind, rows)
            elif fmt == "jsonl":
                _write_jsonl(path, kind, rows)
            else:
                _write_csv(path, kind, rows, encoding, chinese)
            written[file_name] = len(rows)
    return written
