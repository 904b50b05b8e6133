"""Demo evidence for the service-quality-management pack.

A contact centre with three sites (BJ, SH, GZ) and three channels over 2026 Q3:
contacts with customers and matters (some customers call again about the same
matter within days), with the quarter before (2026 Q2, a steady quarter) as the
baseline of a control chart, tickets with SLA dates, QA-scored samples, a complaint
register, the customer roster at the start of the quarter, survey invitations
and responses from 2025-10-01 (four quarters, for a trend of CSAT), improvement
plans, management reviews and monthly quality meetings, certification audits,
agents and their training, outages of the service systems and the auditor's
checklist. Patterns placed on purpose: SH answers the phone slowly in August and
answers less accurately; GZ is borderline in September; handling time grows
month by month; the app channel is small; CSAT falls in Q3; one plan has no owner
and one is late; GZ's last certification audit is over a year old; no quality
meeting was held in August; the chat platform had a long outage in August.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

SITES = ("BJ", "SH", "GZ")
CHANNELS = ("phone", "chat", "app")
MATTERS = ("billing", "technical", "account", "delivery", "other")
#: relative contact volume per hour of day
HOURLY = (1, 1, 1, 1, 1, 2, 4, 8, 18, 26, 28, 27, 20, 22, 26, 27, 24, 20, 14, 10, 7, 5, 3, 2)
#: mean phone wait in seconds per site, and the months where it is worse
PHONE_WAIT = {"BJ": 7.0, "SH": 8.0, "GZ": 8.0}
PHONE_WAIT_BAD = {("SH", 8): 20.0, ("GZ", 9): 11.0}
#: log-mean of talk time per month (handling time grows over the quarter)
TALK_MU = {7: 5.46, 8: 5.52, 9: 5.62}
#: share of tickets missing their SLA per channel
SLA_LATE = {"phone": 0.05, "chat": 0.09, "app": 0.2}
#: share of QA samples answered wrongly per site
QA_WRONG = {"BJ": 0.012, "SH": 0.07, "GZ": 0.01}
#: the quarter before the audited one, a stable baseline for the control chart of phone answering
BASELINE = (date(2026, 4, 1), date(2026, 6, 30))
#: the baseline's contacts come from a random stream of their own, named by this and the seed
BASELINE_STREAM = "sqm-contacts-2026Q2"
#: the effort question was added to the survey on this day
EFFORT_FROM = date(2026, 9, 21)
#: CSAT weights (1..5) per quarter start: Q3 2026 falls back
CSAT_WEIGHTS = {
    date(2025, 10, 1): (2, 3, 6, 30, 59),
    date(2026, 1, 1): (2, 2, 6, 30, 60),
    date(2026, 4, 1): (1, 2, 5, 30, 62),
    date(2026, 7, 1): (2, 3, 7, 30, 58),
}

LAYOUT: dict[str, tuple[str, str, str, bool]] = {
    "interactions": ("contacts-2026Q2Q3.csv", "csv", "gb18030", True),
    "tickets": ("tickets-2026Q3.xlsx", "xlsx", "", True),
    "qa_samples": ("qa-samples-2026Q3.jsonl", "jsonl", "utf-8", False),
    "complaints": ("complaints-2026Q3.csv", "csv", "utf-8-sig", True),
    "customers": ("customers-2026-07-01.csv", "csv", "utf-8", False),
    "survey_invitations": ("survey-invitations.csv", "csv", "utf-8", False),
    "survey_responses": ("survey-responses.jsonl", "jsonl", "utf-8", False),
    "improvement_plans": ("improvement-plans.xlsx", "xlsx", "", True),
    "reviews": ("reviews.csv", "csv", "utf-8-sig", True),
    "cert_audits": ("certification-audits.csv", "csv", "utf-8", False),
    "sites": ("sites.csv", "csv", "utf-8", False),
    "agents": ("agents.csv", "csv", "utf-8-sig", True),
    "training": ("training.csv", "csv", "utf-8", False),
    "outages": ("outages.jsonl", "jsonl", "utf-8", False),
    "checklist": ("checklist.csv", "csv", "utf-8-sig", True),
}

#: kinds that get a few broken rows (interactions and tickets get them anyway)
BAD_ROWS: tuple[str, ...] = ()


def _text(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


class _Demo:
    """The demo's generators, sharing one random stream in a fixed order."""

    def __init__(self, synth: Any) -> None:
        self.rng = synth.rng
        self.seed: int = synth.o.seed
        self.start: date = synth.o.start
        self.end: date = synth.o.end
        self.records: int = synth.o.records
        self.period_end = datetime.combine(self.end + timedelta(days=1), datetime.min.time())
        self.customer_ids = [f"C{n:05d}" for n in range(1, max(self.records * 2 // 5, 100) + 1)]

    def moment(self, first: date, last: date, rng: random.Random | None = None) -> datetime:
        rng = rng or self.rng
        days = (last - first).days + 1
        day = first + timedelta(days=rng.randrange(days))
        hour = rng.choices(range(24), weights=HOURLY)[0]
        return datetime(day.year, day.month, day.day, hour) + timedelta(seconds=rng.randrange(3600))

    # ------------------------------------------------------------ contacts

    def _wait(self, rng: random.Random, site: str, channel: str, received: datetime) -> float:
        if channel == "phone":
            mean = PHONE_WAIT_BAD.get((site, received.month), PHONE_WAIT[site])
            busy = 1.3 if HOURLY[received.hour] > 24 else 1.0
            return rng.expovariate(1 / (mean * busy))
        return rng.expovariate(1 / (20.0 if channel == "chat" else 28.0))

    def interactions(self) -> Iterator[dict[str, Any]]:
        """The audited quarter's contacts, then the quarter before it (the control chart's
        baseline) from a random stream of its own, so that the audited quarter's contacts and
        every later kind stay what they are; numbered in time order, the earlier quarter first."""
        audited = list(self._contacts(self.rng, self.start, self.end))
        baseline_rng = random.Random(f"{BASELINE_STREAM}-{self.seed}")
        baseline = list(self._contacts(baseline_rng, BASELINE[0], BASELINE[1]))
        for n, row in enumerate([*baseline, *audited]):
            yield {"interaction_id": f"K{n + 1:07d}", **row}

    def _contacts(self, rng: random.Random, first: date, last: date) -> Iterator[dict[str, Any]]:
        recent: list[tuple[datetime, str, str]] = []
        for _ in range(self.records):
            received = self.moment(first, last, rng)
            site = rng.choice(SITES)
            channel = rng.choices(CHANNELS, weights=[64, 35, 0.8])[0]
            customer = rng.choice(self.customer_ids)
            matter = rng.choices(MATTERS, weights=[30, 30, 15, 20, 5])[0]
            if recent and rng.random() < 0.12:  # the same customer again about the same matter
                earlier, customer, matter = rng.choice(recent[-40:])
                received = earlier + timedelta(hours=rng.uniform(2, 120))
                if received.date() > last:
                    received = earlier + timedelta(hours=2)
            recent.append((received, customer, matter))
            wait = self._wait(rng, site, channel, received)
            patience = rng.expovariate(1 / 240.0) if channel == "phone" else 10**6
            answered = None if wait > patience else received + timedelta(seconds=wait)
            talk = rng.lognormvariate(TALK_MU.get(received.month, 5.46), 0.5) if answered else 0.0
            ended = (
                (answered + timedelta(seconds=talk))
                if answered
                else received + timedelta(seconds=patience)
            )
            yield {
                "channel": {"phone": "电话", "chat": "在线客服", "app": "APP"}[channel],
                "site": site,
                "agent_id": f"{site}-A{rng.randrange(1, 21):02d}"
                if answered and rng.random() > 0.004
                else "",
                "customer_id": "" if rng.random() < 0.003 else customer,
                "matter": rng.choice(["账单", "billing"]) if matter == "billing" else matter,
                "received_at": _text(received),
                "answered_at": _text(answered),
                "ended_at": _text(ended),
                "handle_seconds": round(talk + rng.uniform(20, 90)) if answered else "",
                "complaint": "是" if rng.random() < 0.006 else "否",
            }

    # ------------------------------------------------------------ tickets

    def _ticket_times(
        self, opened: datetime, channel: str
    ) -> tuple[datetime, datetime | None, datetime | None]:
        first = opened + timedelta(minutes=self.rng.lognormvariate(math.log(25), 0.7))
        if not (opened.weekday() < 5 and 9 <= opened.hour < 17):
            days = 1 if opened.hour >= 9 or opened.weekday() >= 5 else 0
            morning = datetime.combine(opened.date() + timedelta(days=days), datetime.min.time())
            while morning.weekday() >= 5:
                morning += timedelta(days=1)
            first = morning + timedelta(hours=9, minutes=self.rng.uniform(5, 60))
        if self.rng.random() < 0.025:
            first += timedelta(hours=self.rng.uniform(3, 8))
        late = self.rng.random() < SLA_LATE[channel]
        hours = self.rng.uniform(49, 90) if late else self.rng.lognormvariate(math.log(10), 0.7)
        resolved: datetime | None = opened + timedelta(
            hours=min(hours, 47.9) if not late else hours
        )
        if self.rng.random() < 0.025:
            resolved = None
        closed = None
        if resolved is not None and self.rng.random() > 0.028:
            closed = resolved + timedelta(hours=self.rng.uniform(1, 72))
        return first, resolved, closed

    def tickets(self) -> Iterator[dict[str, Any]]:
        for n in range(self.records // 3):
            opened = self.moment(self.start, self.end)
            channel = self.rng.choices(CHANNELS, weights=[58, 40, 2])[0]
            first, resolved, closed = self._ticket_times(opened, channel)
            if resolved is not None and resolved >= self.period_end:
                resolved = None
            if closed is not None and closed >= self.period_end:
                closed = None
            status = "closed" if closed else ("resolved" if resolved else "open")
            if self.rng.random() < 0.01:
                status = "cancelled"
            yield {
                "ticket_id": f"T{n + 1:06d}",
                "customer_id": self.rng.choice(self.customer_ids),
                "channel": channel,
                "site": self.rng.choice(SITES),
                "category": self.rng.choice(MATTERS),
                "opened_at": _text(opened),
                "first_response_at": _text(first),
                "sla_due_at": _text(opened + timedelta(hours=48)),
                "resolved_at": _text(resolved),
                "closed_at": _text(closed),
                "status": {"open": "处理中", "resolved": "已解决", "closed": "已关闭"}.get(
                    status, "已取消"
                ),
                "reopened": resolved is not None and self.rng.random() < 0.04,
            }

    def qa_samples(self) -> Iterator[dict[str, Any]]:
        for n in range(max(self.records // 8, 60)):
            site = SITES[n % 3]
            wrong = self.rng.random() < QA_WRONG[site]
            score = round(min(100.0, self.rng.gauss(88 if not wrong else 70, 6)))
            yield {
                "sample_id": f"QA{n + 1:05d}",
                "ticket_id": f"T{self.rng.randrange(1, self.records // 3 + 1):06d}",
                "agent_id": f"{site}-A{self.rng.randrange(1, 21):02d}",
                "site": site,
                "scored_at": _text(self.moment(self.start, self.end)),
                "score": score,
                "accurate": not wrong,
                "reviewer": self.rng.choice(["QA-01", "QA-02", "QA-03"]),
            }

    # ------------------------------------------------------------ complaints and customers

    def complaints(self) -> Iterator[dict[str, Any]]:
        causes = ["坐席话术不当", "系统故障", "配送延误", "账单规则不清", "知识库答案过期"]
        for n in range(max(self.records // 75, 20)):
            received = self.moment(self.start, self.end)
            ack = received + timedelta(hours=self.rng.expovariate(1 / 5.0))
            office_days = self.rng.choices([1, 2, 3, 4, 6, 8], weights=[15, 25, 25, 17, 12, 6])[0]
            closed: datetime | None = received + timedelta(days=office_days * 7 / 5)
            if closed is not None and closed >= self.period_end:
                closed = None
            root = self.rng.choice(causes) if closed and self.rng.random() > 0.06 else ""
            yield {
                "complaint_id": f"CP{n + 1:04d}",
                "customer_id": self.rng.choice(self.customer_ids),
                "site": self.rng.choice(SITES),
                "received_at": _text(received),
                "acknowledged_at": _text(ack),
                "closed_at": _text(closed),
                "root_cause": root,
                "corrective_action": "已整改并复盘" if root else "",
            }

    def customers(self) -> Iterator[dict[str, Any]]:
        days = (self.end - self.start).days + 1
        for customer in self.customer_ids:
            churned = self.rng.random() < 0.035
            since = self.start - timedelta(days=self.rng.randrange(30, 2000))
            yield {
                "customer_id": customer,
                "site": self.rng.choice(SITES),
                "segment": self.rng.choices(["大客户", "中小企业", "个人"], weights=[1, 3, 6])[0],
                "since": since.isoformat(),
                "churned_on": (self.start + timedelta(days=self.rng.randrange(days))).isoformat()
                if churned
                else "",
            }

    # ------------------------------------------------------------ surveys (four quarters)

    def surveys(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        invitations: list[dict[str, Any]] = []
        responses: list[dict[str, Any]] = []
        quarters = sorted(CSAT_WEIGHTS)
        for q, first in enumerate(quarters):
            last = quarters[q + 1] if q + 1 < len(quarters) else self.end + timedelta(days=1)
            last -= timedelta(days=1)
            for _ in range(max(self.records // 5, 60)):
                number = len(invitations) + 1
                sent = self.moment(first, last)
                site = self.rng.choice(SITES)
                invitations.append(
                    {
                        "invitation_id": f"INV{number:05d}",
                        "ticket_id": f"T{self.rng.randrange(1, 99999):06d}",
                        "site": site,
                        "channel": self.rng.choice(["短信", "邮件", "APP"]),
                        "sent_at": _text(sent),
                    }
                )
                if self.rng.random() < 0.35:
                    responses.append(self._response(number, site, sent, first))
        return invitations, [r for r in responses if r["answered_at"] < _text(self.period_end)]

    def _response(self, number: int, site: str, sent: datetime, quarter: date) -> dict[str, Any]:
        weights = CSAT_WEIGHTS[quarter]
        if quarter.month == 7 and site == "SH":
            weights = (4, 5, 9, 32, 50)
        csat = self.rng.choices([1, 2, 3, 4, 5], weights=weights)[0]
        effort = min(7, max(1, round(self.rng.gauss(8 - csat * 1.3, 1.0))))
        low = csat <= 2
        return {
            "response_id": f"R{number:05d}",
            "invitation_id": f"INV{number:05d}",
            "site": site,
            "answered_at": _text(sent + timedelta(hours=self.rng.uniform(0.2, 30))),
            "csat": "" if self.rng.random() < 0.02 else csat,
            "effort": effort if sent.date() >= EFFORT_FROM else None,
            "followed_up": (self.rng.random() > 0.1) if low else None,
        }

    # ------------------------------------------------------------ management records

    def improvement_plans(self) -> Iterator[dict[str, Any]]:
        plans = [
            (
                "电话高峰时段排班优化",
                "话务分析",
                "王磊",
                "2025-10-15",
                "2025-12-31",
                "2025-12-20",
                True,
            ),
            (
                "账单类知识库答案更新",
                "质检抽样",
                "陈静",
                "2025-11-03",
                "2026-01-31",
                "2026-01-25",
                True,
            ),
            (
                "投诉根因分析模板上线",
                "投诉分析",
                "刘洋",
                "2026-01-10",
                "2026-03-31",
                "2026-03-28",
                True,
            ),
            (
                "在线客服并发上限调整",
                "满意度分析",
                "赵敏",
                "2026-02-20",
                "2026-04-30",
                "2026-04-22",
                True,
            ),
            (
                "APP渠道工单SLA提醒",
                "SLA分析",
                "孙浩",
                "2026-04-08",
                "2026-07-15",
                "2026-07-10",
                True,
            ),
            (
                "上海站点质检专项辅导",
                "质检抽样",
                "周婷",
                "2026-05-12",
                "2026-08-15",
                "2026-08-29",
                True,
            ),
            ("配送类投诉联合整改", "投诉分析", "", "2026-07-06", "2026-09-30", "2026-09-18", True),
            (
                "回访话术标准化",
                "满意度分析",
                "吴迪",
                "2026-06-18",
                "2026-09-15",
                "2026-09-10",
                True,
            ),
            ("处理时长分析与流程简化", "效率分析", "郑凯", "2026-08-05", "2026-11-30", "", False),
            ("低分评价闭环机制", "满意度分析", "陈静", "2026-09-02", "2026-12-15", "", False),
        ]
        for n, (topic, source, owner, raised, due, done, checked) in enumerate(plans, 1):
            yield {
                "plan_id": f"IP{n:03d}",
                "topic": topic,
                "source": source,
                "owner": owner,
                "raised_on": raised,
                "due_on": due,
                "done_on": done,
                "effect_checked": "是" if checked else "否",
            }

    def reviews(self) -> Iterator[dict[str, Any]]:
        rows = [("管理评审", d) for d in ("2025-12-18", "2026-03-20", "2026-06-19", "2026-09-17")]
        month = date(2025, 10, 1)
        while month <= self.end:
            if month != date(2026, 8, 1):  # no quality meeting was held in August 2026
                rows.append(
                    ("质量例会", (month + timedelta(days=self.rng.randrange(5, 12))).isoformat())
                )
            month = (month + timedelta(days=32)).replace(day=1)
        for n, (kind, held) in enumerate(sorted(rows, key=lambda r: r[1]), 1):
            yield {
                "review_id": f"MR{n:03d}",
                "kind": kind,
                "held_on": held,
                "chair": "李总" if kind == "管理评审" else "质量经理",
                "minutes_filed": "否"
                if held.startswith("2026-09") and kind == "质量例会"
                else "是",
            }

    def cert_audits(self) -> Iterator[dict[str, Any]]:
        rows = [
            ("BJ", "2024-11-08", "pass"),
            ("SH", "2025-03-12", "pass"),
            ("GZ", "2024-09-25", "pass"),
            ("BJ", "2025-11-12", "pass"),
            ("SH", "2026-03-05", "fail"),
            ("SH", "2026-04-16", "pass"),
            ("GZ", "2025-09-20", "pass"),
        ]
        for n, (site, on, result) in enumerate(rows, 1):
            yield {
                "audit_id": f"CA{n:03d}",
                "site": site,
                "body": "某认证中心",
                "audited_on": on,
                "result": result,
            }

    def sites(self) -> Iterator[dict[str, Any]]:
        for site in SITES:
            yield {"site": site, "active": "true"}

    def agents_and_training(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        agents, training = [], []
        for site in SITES:
            for number in range(1, 21):
                agent = f"{site}-A{number:02d}"
                active = self.rng.random() > 0.08
                agents.append({"agent_id": agent, "site": site, "active": "是" if active else "否"})
                days_ago = self.rng.randrange(20, 340) if self.rng.random() > 0.03 else 420
                training.append(
                    {
                        "agent_id": agent,
                        "course": "service-quality-refresher",
                        "completed_on": (self.end - timedelta(days=days_ago)).isoformat(),
                    }
                )
        return agents, training

    def outages(self) -> Iterator[dict[str, Any]]:
        rows = [
            ("电话交换机", "phone", "2026-07-14 10:05:00", 25),
            ("在线客服平台", "chat", "2026-07-22 15:40:00", 40),
            ("在线客服平台", "chat", "2026-08-11 09:30:00", 390),
            ("APP消息服务", "app", "2026-08-19 20:10:00", 55),
            ("电话交换机", "phone", "2026-09-03 14:00:00", 18),
            ("在线客服平台", "chat", "2026-09-21 11:15:00", 35),
        ]
        for n, (system, channel, start, minutes) in enumerate(rows, 1):
            began = datetime.fromisoformat(start)
            yield {
                "outage_id": f"OUT{n:03d}",
                "system": system,
                "channel": channel,
                "started_at": start,
                "ended_at": _text(began + timedelta(minutes=minutes)),
            }

    def checklist(self) -> Iterator[dict[str, Any]]:
        checked = (self.end - timedelta(days=5)).isoformat()
        for site in SITES:
            kb = "no" if site == "SH" else "yes"
            yield {
                "item": "KNOWLEDGE-BASE",
                "site": site,
                "result": kb,
                "checked_on": checked,
                "auditor": "李伟",
                "note": "账单类答案半年未更新" if kb == "no" else "",
            }
            yield {
                "item": "CERT-FINDINGS-CLOSED",
                "site": site,
                "result": "na",
                "checked_on": checked,
                "auditor": "李伟",
                "note": "上次审核未开具不符合项",
            }


def generators(synth: Any) -> dict[str, Callable[[], Iterator[dict[str, Any]]]]:
    """A generator per evidence kind of the pack, in a fixed order of the random stream."""
    demo = _Demo(synth)
    cache: dict[str, list[dict[str, Any]]] = {}

    def pair(name: str) -> Callable[[], Iterator[dict[str, Any]]]:
        def rows() -> Iterator[dict[str, Any]]:
            if name not in cache:
                if name in ("survey_invitations", "survey_responses"):
                    cache["survey_invitations"], cache["survey_responses"] = demo.surveys()
                else:
                    cache["agents"], cache["training"] = demo.agents_and_training()
            return iter(cache[name])

        return rows

    return {
        "interactions": demo.interactions,
        "tickets": demo.tickets,
        "qa_samples": demo.qa_samples,
        "complaints": demo.complaints,
        "customers": demo.customers,
        "survey_invitations": pair("survey_invitations"),
        "survey_responses": pair("survey_responses"),
        "improvement_plans": demo.improvement_plans,
        "reviews": demo.reviews,
        "cert_audits": demo.cert_audits,
        "sites": demo.sites,
        "agents": pair("agents"),
        "training": pair("training"),
        "outages": demo.outages,
        "checklist": demo.checklist,
    }
