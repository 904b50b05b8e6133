"""Demo evidence for the touchpoint-monitoring pack (rules/touchpoint-monitoring.yaml).

Four service centres (BJ, SH, GZ, WH), each reached by hotline, online chat, the app and a
counter, from 2026-04-01 (the second quarter is the baseline of the early-warning chart) to
the end of the demo period. Patterns planted on purpose:

- WH is the weak site: more contacts abandoned, slower answering, lower satisfaction,
  more complaints and repeat contacts, service norms followed less often, warnings fed back
  late, and no quarterly access review of the monitoring data;
- GZ's hotline drifts from 15 August: calls wait much longer, and warnings follow;
- the app has the most outages, some restored late;
- the counters' queue system exports no call time (the counter-wait rule cannot be judged);
- the WH app touch point has had no mystery visit since early July;
- the monthly analysis meeting of August was not held;
- no monitoring data were shared with third parties (that checklist item is answered
  "not applicable").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..synth import Synth

START = date(2026, 4, 1)
SITES = ("BJ", "SH", "GZ", "WH")
WEAK_SITE = "WH"
DRIFT_SITE = "GZ"
DRIFT_FROM = date(2026, 8, 15)
CHANNELS = ("phone", "chat", "app", "counter")
#: how the contact-centre export writes channels and categories
CHANNEL_ZH = {"phone": "热线电话", "chat": "在线客服", "app": "手机APP", "counter": "营业柜台"}
CATEGORY_ZH = {
    "billing": "账单",
    "technical": "技术故障",
    "account": "账户",
    "complaint": "投诉",
    "other": "其他",
}
#: relative volume per hour from 08:00 to 21:00 (service hours end at 22:00)
HOURLY = (4, 9, 12, 12, 9, 10, 12, 12, 10, 8, 6, 5, 4, 3)
#: mean seconds a call waits to be answered, per site
PHONE_WAIT = {"BJ": 7.0, "SH": 8.0, "GZ": 8.0, "WH": 11.0}
DRIFT_WAIT = 35.0

LAYOUT: dict[str, tuple[str, str, str, bool]] = {
    "interactions": ("touchpoint-contacts-2026Q2-Q3.csv", "csv", "gb18030", True),
    "survey_invitations": ("survey_invitations.csv", "csv", "utf-8-sig", True),
    "survey_responses": ("survey_responses.jsonl", "jsonl", "utf-8", False),
    "mystery_shops": ("mystery_shops-2026.xlsx", "xlsx", "", True),
    "touchpoints": ("touchpoints.csv", "csv", "utf-8-sig", True),
    "warning_events": ("warning_events.csv", "csv", "utf-8", False),
    "warnings": ("warnings-2026.xlsx", "xlsx", "", True),
    "outages": ("outages.csv", "csv", "utf-8", False),
    "reviews": ("reviews.csv", "csv", "utf-8-sig", True),
    "checklist": ("checklist.csv", "csv", "utf-8-sig", True),
}
BAD_ROWS = ("warnings", "survey_responses")


def text(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


class TouchpointSynth:
    """The pack's kinds, generated together so that they tell one consistent story."""

    def __init__(self, synth: Synth) -> None:
        self.rng = synth.rng
        self.end = synth.o.end
        self.records = synth.o.records
        self.days = (self.end - START).days + 1
        self._contacts: list[dict[str, Any]] | None = None
        self._warnings: list[dict[str, Any]] | None = None

    def moment(self) -> datetime:
        day = START + timedelta(days=self.rng.randrange(self.days))
        hour = 8 + self.rng.choices(range(len(HOURLY)), weights=HOURLY)[0]
        return datetime(day.year, day.month, day.day, hour) + timedelta(
            seconds=self.rng.randrange(3600)
        )

    # ------------------------------------------------------------ contacts

    def contacts(self) -> list[dict[str, Any]]:
        """Contacts in time order, as plain values (English codes, datetimes)."""
        if self._contacts is None:
            found = [self.contact(self.moment()) for _ in range(self.records * 2)]
            found.sort(key=lambda c: c["received"])
            self.assign_customers(found)
            for number, contact in enumerate(found, 1):
                contact["id"] = f"TP{number:07d}"
            self._contacts = found
        return self._contacts

    def contact(self, received: datetime) -> dict[str, Any]:
        site = self.rng.choice(SITES)
        channel = self.rng.choices(CHANNELS, weights=[50, 22, 18, 10])[0]
        weak = site == WEAK_SITE
        complaint_share = 0.035 if weak else 0.022
        category = self.rng.choices(
            ["billing", "technical", "account", "complaint", "other"],
            weights=[30, 25, 20, complaint_share * 100, 25 - complaint_share * 100],
        )[0]
        answered = ended = None
        if channel == "counter":
            ended = received + timedelta(minutes=self.rng.uniform(5, 30))
        else:
            answered_share = 0.86 if weak else (0.96 if channel == "phone" else 0.97)
            wait = self.wait(site, channel, received)
            if self.rng.random() < answered_share:
                answered = received + timedelta(seconds=wait)
                ended = answered + timedelta(seconds=self.rng.lognormvariate(5.3, 0.6))
            else:  # the customer gave up
                ended = received + timedelta(seconds=self.rng.uniform(2, 180))
        return {
            "site": site,
            "channel": channel,
            "category": category,
            "received": received,
            "answered": answered,
            "ended": ended,
        }

    def wait(self, site: str, channel: str, received: datetime) -> float:
        if channel == "phone":
            mean = PHONE_WAIT[site]
            if site == DRIFT_SITE and received.date() >= DRIFT_FROM:
                mean = DRIFT_WAIT
            return self.rng.expovariate(1 / mean)
        return self.rng.expovariate(1 / (9.0 if channel == "chat" else 12.0))

    def assign_customers(self, contacts: list[dict[str, Any]]) -> None:
        """Most customers call once; some come back about the same matter within days."""
        recent: dict[str, list[dict[str, Any]]] = {site: [] for site in SITES}
        serial = 0
        for contact in contacts:
            site = contact["site"]
            back = 0.28 if site == WEAK_SITE else 0.15
            earlier = [
                c
                for c in recent[site][-60:]
                if contact["received"] - c["received"] < timedelta(days=6)
            ]
            if earlier and self.rng.random() < back:
                first = self.rng.choice(earlier)
                contact["customer"], contact["category"] = first["customer"], first["category"]
            else:
                serial += 1
                contact["customer"] = f"C{serial:06d}"
            recent[site].append(contact)

    def interactions(self) -> Iterator[dict[str, Any]]:
        for c in self.contacts():
            yield {
                "interaction_id": c["id"],
                "channel": CHANNEL_ZH[c["channel"]],
                "site": c["site"],
                "customer_id": c["customer"],
                "category": CATEGORY_ZH[c["category"]],
                "received_at": text(c["received"]),
                "answered_at": text(c["answered"]),
                "served_at": "",  # the queue system's export has no call time
                "ended_at": text(c["ended"]),
            }

    # ------------------------------------------------------------ surveys

    def invitations(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for c in self.contacts():
            served = c["answered"] is not None or c["channel"] == "counter"
            if served and self.rng.random() < 0.35:
                found.append(
                    {
                        "invitation_id": f"INV{len(found) + 1:06d}",
                        "contact": c,
                        "sent": c["ended"] + timedelta(minutes=10),
                    }
                )
        return found

    def csat(self, site: str, sent: datetime) -> int:
        if site == WEAK_SITE:
            weights = [4, 6, 14, 36, 40]
        elif sent.date() < date(2026, 7, 1):
            weights = [2, 3, 8, 32, 55]
        else:
            weights = [1, 1, 4, 30, 64]
        return self.rng.choices([1, 2, 3, 4, 5], weights=weights)[0]

    def surveys(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        invitations: list[dict[str, Any]] = []
        responses: list[dict[str, Any]] = []
        for inv in self.invitations():
            c = inv["contact"]
            invitations.append(
                {
                    "invitation_id": inv["invitation_id"],
                    "interaction_id": c["id"],
                    "site": c["site"],
                    "channel": CHANNEL_ZH[c["channel"]],
                    "sent_at": text(inv["sent"]),
                }
            )
            answered = inv["sent"] + timedelta(hours=self.rng.uniform(0.2, 48))
            if self.rng.random() < 0.28 and answered.date() <= self.end:
                score = self.csat(c["site"], inv["sent"])
                responses.append(
                    {
                        "response_id": f"R{len(responses) + 1:06d}",
                        "invitation_id": inv["invitation_id"],
                        "site": c["site"],
                        "channel": c["channel"],
                        "answered_at": text(answered),
                        "csat": "" if self.rng.random() < 0.03 else score,
                    }
                )
        return invitations, responses

    # ------------------------------------------------------------ on-site monitoring

    def mystery_shops(self) -> Iterator[dict[str, Any]]:
        visits = []
        for site in SITES:
            for channel in CHANNELS:
                day = START + timedelta(days=self.rng.randrange(1, 12))
                while day <= self.end:
                    day += timedelta(days=max(0, 7 - day.weekday()) if day.weekday() > 4 else 0)
                    stopped = site == WEAK_SITE and channel == "app" and day > date(2026, 7, 8)
                    if day <= self.end and not stopped:
                        visits.append((day, site, channel))
                    day += timedelta(days=self.rng.randrange(10, 19))
        visits.sort()
        for number, (day, site, channel) in enumerate(visits, 1):
            weak = site == WEAK_SITE
            visited = datetime(day.year, day.month, day.day, self.rng.randrange(9, 18))
            yield {
                "visit_id": f"MS{number:05d}",
                "site": site,
                "channel": CHANNEL_ZH[channel],
                "visited_at": text(visited + timedelta(minutes=self.rng.randrange(60))),
                "score": round(min(100.0, self.rng.gauss(83 if weak else 89, 5)), 1),
                "info_accurate": "是" if self.rng.random() > 0.03 else "否",
                "norms_followed": "是" if self.rng.random() > (0.2 if weak else 0.015) else "否",
                "assessor": self.rng.choice(["赵敏", "钱进", "孙丽"]),
            }

    def touchpoints(self) -> Iterator[dict[str, Any]]:
        for site in SITES:
            for number, channel in enumerate(CHANNELS, 1):
                yield {
                    "touchpoint_id": f"{site}-{number:02d}",
                    "site": site,
                    "channel": CHANNEL_ZH[channel],
                    "active": "是",
                }
        yield {"touchpoint_id": "SH-05", "site": "SH", "channel": "营业柜台", "active": "否"}

    # ------------------------------------------------------------ warnings

    def warnings(self) -> list[dict[str, Any]]:
        """Warnings with the moment of each step of the loop (None: not reached)."""
        if self._warnings is None:
            found = []
            for day_number in range(self.days):
                day = START + timedelta(days=day_number)
                drift = day >= DRIFT_FROM
                count = self.rng.choices([0, 1, 2, 3], weights=[35, 40, 18, 7])[0]
                if drift:
                    count += 1  # the drifting hotline keeps raising warnings
                for index in range(count):
                    on_drift = drift and index == 0
                    found.append(self.warning(day, on_drift))
            found.sort(key=lambda w: w["detected"])
            for number, warning in enumerate(found, 1):
                warning["id"] = f"W{number:05d}"
            self._warnings = found
        return self._warnings

    def warning(self, day: date, on_drift: bool) -> dict[str, Any]:
        site = DRIFT_SITE if on_drift else self.rng.choice(SITES)
        channel = "phone" if on_drift else self.rng.choice(CHANNELS)
        red = self.rng.random() < 0.1
        detected = datetime(day.year, day.month, day.day, 8) + timedelta(
            minutes=self.rng.randrange(14 * 60)
        )
        warned = detected + timedelta(minutes=self.rng.expovariate(1 / 8.0))
        median = 1.2 if red else 6.0
        handled = warned + timedelta(hours=self.rng.lognormvariate(math.log(median), 0.7))
        late = 0.3 if site == WEAK_SITE else 0.06
        after = self.rng.uniform(80, 160) if self.rng.random() < late else self.rng.uniform(2, 60)
        fed_back = handled + timedelta(hours=after)
        indicator = {
            "phone": "20秒接通率",
            "chat": "首次响应时长",
            "app": "系统可用性",
            "counter": "排队时长",
        }[channel]
        return {
            "site": site,
            "channel": channel,
            "indicator": "满意度" if self.rng.random() < 0.2 else indicator,
            "level": "red" if red else "yellow",
            "detected": detected,
            "warned": warned,
            "handled": handled,
            "fed_back": fed_back,
            "cause": self.rng.random() > 0.03,
        }

    def reached(self, moment: datetime) -> datetime | None:
        """A step's moment if it happened by the end of the evidence, else None."""
        return moment if moment.date() <= self.end else None

    def warning_events(self) -> Iterator[dict[str, Any]]:
        for w in self.warnings():
            for step in ("detected", "warned", "handled", "fed_back"):
                if self.reached(w[step]) is not None:
                    yield {
                        "warning_id": w["id"],
                        "event": step,
                        "at": text(w[step]),
                        "site": w["site"],
                        "channel": w["channel"],
                    }

    def warning_register(self) -> Iterator[dict[str, Any]]:
        for w in self.warnings():
            handled = self.reached(w["handled"])
            yield {
                "warning_id": w["id"],
                "site": w["site"],
                "channel": CHANNEL_ZH[w["channel"]],
                "indicator": w["indicator"],
                "level": "红色" if w["level"] == "red" else "黄色",
                "raised_at": text(w["warned"]),
                "handled_at": text(handled),
                "cause": "高峰排班不足" if handled and w["cause"] else "",
                "fed_back_at": text(self.reached(w["fed_back"])),
            }

    # ------------------------------------------------------------ outages, reviews, checklist

    def outages(self) -> Iterator[dict[str, Any]]:
        plan = [
            ("phone", "ALL", 4, 15, 60),
            ("chat", "ALL", 4, 15, 70),
            ("app", "ALL", 10, 30, 300),
        ]
        plan += [("counter", WEAK_SITE, 3, 20, 90)]
        found = []
        for channel, site, count, shortest, longest in plan:
            for _ in range(count):
                start = self.moment()
                minutes = self.rng.uniform(shortest, longest)
                found.append((start, channel, site, minutes, False))
            for month in range(4, 10):  # monthly maintenance outside service hours
                start = datetime(2026, month, 10, 23, 0)
                found.append((start, channel, site, 120.0, True))
        found.sort()
        for number, (start, channel, site, minutes, planned) in enumerate(found, 1):
            yield {
                "outage_id": f"OUT{number:04d}",
                "channel": channel,
                "site": site,
                "started_at": text(start),
                "ended_at": text(start + timedelta(minutes=minutes)),
                "planned": "true" if planned else "false",
                "cause": "planned maintenance" if planned else "platform fault",
            }

    def reviews(self) -> Iterator[dict[str, Any]]:
        meetings = [(date(2026, month, 8), "月度质量分析会") for month in (4, 5, 6, 7, 9)]
        meetings += [(date(2026, 6, 26), "季度体系评估"), (date(2026, 9, 25), "季度体系评估")]
        for number, (held, kind) in enumerate(sorted(meetings), 1):
            yield {
                "review_id": f"RV{number:03d}",
                "review_type": kind,
                "held_on": held.isoformat(),
                "findings_count": self.rng.randrange(3, 9),
                "actions_assigned": self.rng.randrange(2, 7),
                "fed_back": "是",
                "minutes_filed": "是",
            }

    def checklist(self) -> Iterator[dict[str, Any]]:
        items = (
            "INDICATOR-SYSTEM",
            "DATA-ACCESS-REVIEW",
            "DATA-RETENTION",
            "DATA-ENCRYPTION",
            "INCIDENT-PLAN",
            "DATA-SHARING-APPROVED",
        )
        for item in items:
            for site in SITES:
                result, note = "是", ""
                if item == "DATA-ACCESS-REVIEW" and site == WEAK_SITE:
                    result, note = "否", "本季度未开展权限复核"
                elif item == "DATA-SHARING-APPROVED":
                    result, note = "不适用", "本期未向第三方提供数据"
                yield {
                    "item": item,
                    "site": site,
                    "result": result,
                    "checked_on": (
                        self.end - timedelta(days=self.rng.randrange(2, 12))
                    ).isoformat(),
                    "auditor": "李伟",
                    "note": note,
                }


def generators(synth: Synth) -> dict[str, Callable[[], Iterator[dict[str, Any]]]]:
    own = TouchpointSynth(synth)
    invitations, responses = own.surveys()
    return {
        "interactions": own.interactions,
        "survey_invitations": lambda: iter(invitations),
        "survey_responses": lambda: iter(responses),
        "mystery_shops": own.mystery_shops,
        "touchpoints": own.touchpoints,
        "warning_events": own.warning_events,
        "warnings": own.warning_register,
        "outages": own.outages,
        "reviews": own.reviews,
        "checklist": own.checklist,
    }
