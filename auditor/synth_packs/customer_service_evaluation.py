"""Demo evidence for the customer-service-evaluation pack.

Six months of contacts (April to September 2026, so that Q2 can serve as a
baseline for Q3) at three sites: BJ keeps its targets, GZ is middling and SH
slips in the summer (phone waits drift up and peak in August, more customers
call again about the same matter, lower scores, slower feedback handling, one
privacy lapse, a month over its cost budget). No monthly quality review was
held anywhere in August: SH skipped it, BJ and GZ held only a special check.
Staff records hold an expired training, a training that runs out in
mid-August, a new hire not yet assessed; one risk has no plan, one plan has
not been drilled for over a year, GZ holds no drill in Q3. Contacts carry a
customer id and a matter, and survey invitations and responses are separate
files, for the repeat-contact and response-rate checks.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..synth import Synth

START = date(2026, 4, 1)
SITES = ("BJ", "SH", "GZ")
HOURLY = (0, 0, 0, 0, 0, 0, 1, 3, 10, 20, 24, 22, 14, 18, 22, 22, 18, 14, 8, 6, 4, 2, 1, 0)
CHANNEL_ZH = {"phone": "电话", "chat": "在线客服", "email": "邮件"}
MATTER_ZH = {
    "billing": "账单",
    "delivery": "配送",
    "product": "产品",
    "account": "账户",
    "complaint": "投诉",
}
#: mean phone wait in seconds per site and month (SH drifts up over the summer)
PHONE_WAIT = {
    "BJ": dict.fromkeys(range(4, 10), 8.0),
    "GZ": dict.fromkeys(range(4, 10), 10.0),
    "SH": {4: 9.0, 5: 9.0, 6: 10.0, 7: 13.0, 8: 30.0, 9: 17.0},
}
#: chance that a customer calls again about the same matter within a few days
REPEAT = {"BJ": 0.14, "GZ": 0.2, "SH": 0.3}
AGENTS_PER_SITE = 15

LAYOUT: dict[str, tuple[str, str, str, bool]] = {
    "interactions": ("interactions-2026Q2Q3.csv", "csv", "gb18030", True),
    "observations": ("observations.csv", "csv", "gb18030", True),
    "feedback_events": ("feedback_events.xlsx", "xlsx", "", True),
    "assessments": ("assessments.xlsx", "xlsx", "", True),
    "surveys": ("survey_responses.jsonl", "jsonl", "utf-8", False),
    "improvement_plans": ("improvement_plans.jsonl", "jsonl", "utf-8", False),
    "survey_invitations": ("survey_invitations.csv", "csv", "utf-8", False),
    "agents": ("agents.csv", "csv", "utf-8-sig", True),
    "costs": ("costs.csv", "csv", "utf-8-sig", True),
    "checklist": ("checklist.csv", "csv", "utf-8-sig", True),
}

BAD_ROWS = ("interactions", "observations", "surveys")


def text(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


class CustomerService:
    """All kinds from one random stream, built once and handed out per kind."""

    def __init__(self, synth: Synth) -> None:
        self.rng = synth.rng
        self.end = synth.o.end
        self.records = synth.o.records
        self.days = (self.end - START).days + 1
        self._agents: list[dict[str, Any]] | None = None
        self._contacts: list[dict[str, Any]] | None = None
        self._invitations: list[dict[str, Any]] | None = None

    # ------------------------------------------------------------ helpers

    def moment(self, day: date | None = None) -> datetime:
        day = day or START + timedelta(days=self.rng.randrange(self.days))
        hour = self.rng.choices(range(24), weights=HOURLY)[0]
        start = datetime(day.year, day.month, day.day, hour)
        return start + timedelta(seconds=self.rng.randrange(3600))

    def day_in(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randrange((last - first).days + 1))

    def agents(self) -> list[dict[str, Any]]:
        if self._agents is None:
            self._agents = []
            for site in SITES:
                for number in range(1, AGENTS_PER_SITE + 1):
                    hired = date(2023, 1, 9) + timedelta(days=self.rng.randrange(900))
                    if site == "GZ" and number == AGENTS_PER_SITE:
                        hired = date(2026, 9, 7)  # joined this month: not yet assessed
                    active = not (site == "BJ" and number == 14)  # left the company
                    self._agents.append(
                        {
                            "agent_id": f"{site}-A{number:02d}",
                            "site": site,
                            "active": "是" if active else "否",
                            "hired_on": hired.isoformat(),
                        }
                    )
        return self._agents

    def staff(self, site: str, when: datetime) -> str:
        names = [
            a["agent_id"]
            for a in self.agents()
            if a["site"] == site
            and a["active"] == "是"
            and a["hired_on"] <= when.date().isoformat()
        ]
        return self.rng.choice(names)

    # ------------------------------------------------------------ contacts

    def wait(self, channel: str, site: str, received: datetime) -> float:
        if channel == "phone":
            busy = 1.3 if HOURLY[received.hour] >= 20 else 1.0
            return self.rng.expovariate(1 / (PHONE_WAIT[site][received.month] * busy))
        if channel == "chat":
            return self.rng.expovariate(1 / (20.0 if site != "SH" else 26.0))
        hours = self.rng.lognormvariate(math.log(2.5), 0.9)
        if received.weekday() >= 5 or received.hour >= 18:
            hours += 40 if received.weekday() == 4 else 16  # waits for the next working day
        return hours * 3600

    def contact(
        self, number: int, customer: str, site: str, matter: str, when: datetime
    ) -> dict[str, Any]:
        channel = self.rng.choices(["phone", "chat", "email"], weights=[62, 33, 5])[0]
        wait = self.wait(channel, site, when)
        patience = self.rng.expovariate(1 / 300.0) if channel == "phone" else 10.0**7
        if wait > patience:
            answered, ended, agent = None, when + timedelta(seconds=patience), ""
        else:
            answered = when + timedelta(seconds=wait)
            ended = answered + timedelta(seconds=self.rng.lognormvariate(5.4, 0.6))
            agent = self.staff(site, when)
        return {
            "interaction_id": f"C{number:07d}",
            "channel": CHANNEL_ZH[channel],
            "site": site,
            "agent_id": agent,
            "customer_id": customer,
            "matter": MATTER_ZH[matter],
            "received_at": text(when),
            "answered_at": text(answered),
            "ended_at": text(ended),
            "resolved_first": "",
            "_answered": answered,
            "_ended": ended,
        }

    def contacts(self) -> list[dict[str, Any]]:
        if self._contacts is not None:
            return self._contacts
        rows: list[dict[str, Any]] = []
        customers = [f"K{n:05d}" for n in range(1, self.records // 2)]
        matters = list(MATTER_ZH)
        while len(rows) < self.records:
            site = self.rng.choice(SITES)
            customer, matter = self.rng.choice(customers), self.rng.choice(matters)
            when = self.moment()
            first = self.contact(len(rows) + 1, customer, site, matter, when)
            rows.append(first)
            again = self.rng.random() < REPEAT[site]
            if again:
                later = when + timedelta(hours=self.rng.uniform(2, 150))
                if later.date() <= self.end:
                    rows.append(self.contact(len(rows) + 1, customer, site, matter, later))
            if first["_answered"] is not None:
                # the agent's own flag: mostly right, sometimes optimistic
                flag = (not again) or self.rng.random() < 0.25
                first["resolved_first"] = "是" if flag else "否"
                if self.rng.random() < 0.01:
                    first["resolved_first"] = ""
        rows.sort(key=lambda r: r["received_at"])
        for n, row in enumerate(rows, 1):
            row["interaction_id"] = f"C{n:07d}"
        self._contacts = rows
        return rows

    def interactions(self) -> Iterator[dict[str, Any]]:
        for row in self.contacts():
            yield {k: v for k, v in row.items() if not k.startswith("_")}

    # ------------------------------------------------------------ surveys

    def invitations(self) -> list[dict[str, Any]]:
        if self._invitations is None:
            self._invitations = []
            for row in self.contacts():
                if row["_ended"] is None or row["_answered"] is None or self.rng.random() > 0.3:
                    continue
                sent = row["_ended"] + timedelta(minutes=self.rng.randrange(5, 120))
                if sent.date() > self.end:
                    continue
                self._invitations.append(
                    {
                        "invitation_id": f"INV{len(self._invitations) + 1:06d}",
                        "interaction_id": row["interaction_id"],
                        "site": row["site"],
                        "channel": self.rng.choices(
                            ["sms", "email", "phone"], weights=[70, 20, 10]
                        )[0],
                        "sent_at": text(sent),
                        "_sent": sent,
                    }
                )
        return self._invitations

    def survey_invitations(self) -> Iterator[dict[str, Any]]:
        for row in self.invitations():
            yield {k: v for k, v in row.items() if not k.startswith("_")}

    def csat(self, site: str, month: int) -> int:
        weights = {"BJ": [1, 2, 6, 30, 61], "GZ": [2, 3, 9, 36, 50], "SH": [3, 5, 12, 38, 42]}[site]
        score = self.rng.choices([1, 2, 3, 4, 5], weights=weights)[0]
        if site == "SH" and month >= 7 and self.rng.random() < 0.04 * (month - 6):
            score = max(1, score - 2)  # a slow decline over the summer
        return score

    def surveys(self) -> Iterator[dict[str, Any]]:
        number = 0
        for invitation in self.invitations():
            rate = 0.24 if invitation["site"] == "SH" else 0.36
            if self.rng.random() > rate:
                continue
            answered = invitation["_sent"] + timedelta(hours=self.rng.expovariate(1 / 10.0))
            if answered.date() > self.end:
                continue
            number += 1
            csat = self.csat(invitation["site"], answered.month)
            nps = min(10, max(0, round(self.rng.gauss(csat * 2 - 0.3, 1.4))))
            yield {
                "response_id": f"R{number:06d}",
                "invitation_id": invitation["invitation_id"],
                "site": invitation["site"],
                "answered_at": text(answered),
                "csat": "" if self.rng.random() < 0.03 else csat,
                "nps_score": "" if self.rng.random() < 0.08 else nps,
            }

    # ------------------------------------------------------------ staff

    def training(self) -> Iterator[dict[str, Any]]:
        for agent in self.agents():
            name, hired = agent["agent_id"], date.fromisoformat(agent["hired_on"])
            yield {"agent_id": name, "course": "岗前培训", "completed_on": hired.isoformat()}
            if name == "SH-A03":
                on_job = date(2025, 8, 12)  # runs out in the middle of August
            elif name == "GZ-A07":
                on_job = date(2025, 6, 3)  # expired before the quarter began
            else:
                on_job = max(hired, self.day_in(date(2025, 10, 8), date(2026, 9, 20)))
            yield {"agent_id": name, "course": "在岗培训", "completed_on": on_job.isoformat()}
            before = on_job - timedelta(days=self.rng.randrange(330, 364))
            if before >= hired and name != "GZ-A07":  # the year before: valid at earlier contacts
                yield {"agent_id": name, "course": "在岗培训", "completed_on": before.isoformat()}
            if name != "SH-A11":
                etiquette = max(hired, self.day_in(date(2025, 11, 1), date(2026, 8, 31)))
                yield {
                    "agent_id": name,
                    "course": "礼仪培训",
                    "completed_on": etiquette.isoformat(),
                }
            if self.rng.random() < 0.3:
                special = self.day_in(date(2026, 4, 1), date(2026, 9, 25))
                yield {"agent_id": name, "course": "专项培训", "completed_on": special.isoformat()}

    def assessments(self) -> Iterator[dict[str, Any]]:
        marks = {"skills": 70, "attitude": 75, "performance": 60}
        kinds_zh = {"skills": "业务能力", "attitude": "服务态度", "performance": "绩效"}
        number = 0
        for agent in self.agents():
            if agent["hired_on"] >= "2026-09-01":
                continue  # a new hire is assessed after probation
            for kind, mark in marks.items():
                first = date(2026, 4, 1) if kind == "skills" else date(2026, 7, 1)
                day = self.day_in(first, date(2026, 9, 25))
                mean = mark + (10 if agent["site"] != "SH" else 6)
                number += 1
                yield {
                    "assessment_id": f"AS{number:05d}",
                    "agent_id": agent["agent_id"],
                    "site": agent["site"],
                    "kind": kinds_zh[kind],
                    "assessed_on": day.isoformat(),
                    "score": round(min(100.0, self.rng.gauss(mean, 7)), 1),
                    "pass_mark": mark,
                }

    def observations(self) -> Iterator[dict[str, Any]]:
        sloppy = {"BJ": 0.02, "GZ": 0.04, "SH": 0.09}
        scores = {"BJ": [0, 1, 5, 40, 54], "GZ": [1, 3, 14, 47, 35], "SH": [3, 7, 17, 48, 25]}
        privacy_lapse = 0
        for n in range(max(self.records // 10, 90)):
            site = SITES[n % 3]
            when = self.moment()
            while when.weekday() >= 5 or not 9 <= when.hour < 18:
                when = self.moment()
            slip = sloppy[site]
            privacy = True
            if site == "SH" and when.month == 8 and privacy_lapse == 0:
                privacy, privacy_lapse = False, 1
            yield {
                "observation_id": f"OB{n + 1:05d}",
                "site": site,
                "agent_id": self.staff(site, when),
                "observed_at": text(when),
                "asked_needs": self.rng.random() > slip * 1.5,
                "polite_language": self.rng.random() > slip / 2,
                "patient": self.rng.random() > slip / 2,
                "badge_worn": self.rng.random() > slip / 3,
                "tidy": self.rng.random() > slip / 4,
                "at_post": self.rng.random() > slip / 6,
                "privacy_kept": privacy,
                "attitude_score": self.rng.choices([1, 2, 3, 4, 5], weights=scores[site])[0],
                "observer": "王敏",
            }

    # ------------------------------------------------------------ feedback

    def feedback_case(self, number: int) -> list[tuple[str, datetime]]:
        site = SITES[number % 3]
        received = self.moment()
        slow = 1.8 if site == "SH" and received.month >= 7 else 1.0
        ack = received + timedelta(hours=self.rng.expovariate(1 / (5.0 * slow)))
        resolved = received + timedelta(hours=self.rng.lognormvariate(math.log(40 * slow), 0.5))
        informed = resolved + timedelta(hours=self.rng.expovariate(1 / 6.0))
        steps = [
            ("收到", received),
            ("受理确认", ack),
            ("处理完成", resolved),
            ("告知客户", informed),
        ]
        if self.rng.random() < 0.03:
            steps = [s for s in steps if s[0] != "告知客户"]  # the customer was never told
        return [s for s in steps if s[1].date() <= self.end]

    def feedback_events(self) -> Iterator[dict[str, Any]]:
        kinds = ["投诉", "建议", "评价"]
        for number in range(1, max(self.records // 12, 60) + 1):
            kind = self.rng.choices(kinds, weights=[50, 20, 30])[0]
            for event, when in self.feedback_case(number):
                yield {
                    "feedback_id": f"FB{number:05d}",
                    "event": event,
                    "at": text(when),
                    "site": SITES[number % 3],
                    "kind": kind,
                }

    # ------------------------------------------------------------ risk

    PLANS = (
        ("EP-BJ-1", "BJ", "系统宕机应急预案", "赵磊", True),
        ("EP-BJ-2", "BJ", "话务激增应急预案", "赵磊", True),
        ("EP-SH-1", "SH", "系统宕机应急预案", "钱芳", True),
        ("EP-SH-2", "SH", "客户信息泄露应急预案", "钱芳", True),
        ("EP-GZ-1", "GZ", "系统宕机应急预案", "孙杰", True),
        ("EP-GZ-2", "GZ", "极端天气应急预案", "孙杰", True),
        ("EP-GZ-3", "GZ", "旧版停电预案", "孙杰", False),
    )

    def emergency_plans(self) -> Iterator[dict[str, Any]]:
        for plan_id, site, title, owner, active in self.PLANS:
            yield {
                "plan_id": plan_id,
                "site": site,
                "title": title,
                "owner": owner,
                "active": active,
            }

    def drills(self) -> Iterator[dict[str, Any]]:
        held = [
            ("EP-BJ-1", "2026-05-14", True), ("EP-BJ-2", "2026-08-20", True),
            ("EP-BJ-1", "2026-09-10", True), ("EP-SH-1", "2026-06-11", True),
            ("EP-SH-2", "2026-07-16", False), ("EP-SH-2", "2026-09-03", True),
            ("EP-GZ-1", "2026-05-21", True), ("EP-GZ-2", "2025-06-19", True),
        ]  # fmt: skip
        for n, (plan_id, day, passed) in enumerate(held, 1):
            site = plan_id.split("-")[1]
            yield {
                "drill_id": f"DR{n:03d}",
                "plan_id": plan_id,
                "site": site,
                "held_on": day,
                "passed": passed,
            }

    def risk_register(self) -> Iterator[dict[str, Any]]:
        risks = [
            ("BJ", "业务系统故障导致无法受理", "EP-BJ-1", "赵磊", "2026-01-12"),
            ("BJ", "促销期话务量激增", "EP-BJ-2", "赵磊", "2026-03-02"),
            ("SH", "业务系统故障导致无法受理", "EP-SH-1", "钱芳", "2026-01-12"),
            ("SH", "客户信息泄露", "EP-SH-2", "钱芳", "2026-02-20"),
            ("SH", "外包坐席人员流失", "", "", "2026-08-18"),
            ("GZ", "业务系统故障导致无法受理", "EP-GZ-1", "孙杰", "2026-01-12"),
            ("GZ", "台风暴雨影响到岗", "EP-GZ-2", "孙杰", "2026-04-08"),
        ]
        for n, (site, risk, plan, owner, day) in enumerate(risks, 1):
            yield {
                "risk_id": f"RK{n:03d}",
                "site": site,
                "risk": risk,
                "identified_on": day,
                "plan_id": plan,
                "owner": owner,
            }

    # ------------------------------------------------------------ cost and improvement

    def costs(self) -> Iterator[dict[str, Any]]:
        volume = Counter((r["site"], r["received_at"][:7]) for r in self.contacts())
        for (site, month), contacts in sorted(volume.items()):
            rate = self.rng.gauss(15.5, 0.8)
            if site == "SH" and month == "2026-08":
                rate = 19.4  # overtime and agency staff in the slow month
            total = round(contacts * rate, 2)
            yield {
                "site": site,
                "month": f"{month}-01",
                "contacts": contacts,
                "total_cost": total,
                "cost_per_contact": round(total / contacts, 2),
                "budget_per_contact": 18.0,
            }

    def improvement_plans(self) -> Iterator[dict[str, Any]]:
        plans = [
            ("BJ", "高峰时段接通慢", "2026-04-10", "赵磊", "2026-05-31", "2026-05-28"),
            ("SH", "重复来电偏多", "2026-05-06", "钱芳", "2026-07-15", "2026-07-14"),
            ("SH", "八月接通率下降", "2026-08-25", "钱芳", "2026-09-30", ""),
            ("SH", "反馈处理超时", "2026-06-18", "钱芳", "2026-08-15", "2026-09-02"),
            ("GZ", "礼貌用语抽检不达标", "2026-06-02", "孙杰", "2026-07-31", "2026-07-31"),
            ("GZ", "考核合格率偏低", "2026-06-20", "孙杰", "2026-08-31", "2026-08-26"),
            ("BJ", "邮件回复积压", "2026-07-03", "赵磊", "2026-08-10", "2026-08-07"),
            ("BJ", "知识库更新不及时", "2026-07-20", "", "", ""),
            ("GZ", "应急预案演练不足", "2026-07-08", "孙杰", "2026-09-15", ""),
            ("SH", "满意度调查回收率低", "2026-07-12", "钱芳", "2026-09-10", "2026-09-08"),
            ("BJ", "工号牌佩戴不规范", "2026-08-05", "赵磊", "2026-09-05", "2026-09-01"),
            ("GZ", "在线首响偏慢", "2026-09-01", "孙杰", "2026-10-31", ""),
        ]
        for n, (site, finding, raised, owner, deadline, done) in enumerate(plans, 1):
            yield {
                "plan_id": f"IP{n:03d}",
                "site": site,
                "finding": finding,
                "raised_on": raised,
                "owner": owner,
                "deadline": deadline,
                "done_on": done,
            }

    def quality_reviews(self) -> Iterator[dict[str, Any]]:
        number = 0
        for month in range(4, 10):
            for site in SITES:
                if site == "SH" and month == 8:
                    continue  # the August review at SH was skipped
                number += 1
                day = date(2026, month, 20 + self.rng.randrange(8))
                # in August BJ and GZ held only a special check of the phone slump:
                # no monthly review anywhere that month
                kind = "专项检查" if month == 8 else "月度质量检查"
                yield {
                    "review_id": f"QR{number:03d}",
                    "site": site,
                    "kind": kind,
                    "held_on": day.isoformat(),
                }

    def checklist(self) -> Iterator[dict[str, Any]]:
        answers = {"SURVEY-PLAN": {"BJ": "是", "SH": "否", "GZ": "是"}}
        for item in ("SURVEY-PLAN", "RISK-EVENT-REVIEW"):
            for site in SITES:
                result = answers.get(item, {}).get(site, "不适用")
                note = {
                    "是": "",
                    "否": "本期未见调查方案",
                    "不适用": "本期未发生风险事件",
                }[result]
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
    """One generator per kind of the pack, all drawing on one built world."""
    world = CustomerService(synth)
    kinds = (
        "interactions", "survey_invitations", "surveys", "agents", "training", "assessments",
        "observations", "feedback_events", "risk_register", "emergency_plans", "drills",
        "costs", "improvement_plans", "quality_reviews", "checklist",
    )  # fmt: skip
    return {kind: _rows_of(getattr(world, kind)) for kind in kinds}


def _rows_of(method: Callable[[], Any]) -> Callable[[], Iterator[dict[str, Any]]]:
    def rows() -> Iterator[dict[str, Any]]:
        return iter(method())

    return rows
