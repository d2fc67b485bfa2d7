"""A survey to test with: every kind of question, a condition chain and a matrix."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session

from portal.db import utcnow
from portal.surveys.definition import (
    Condition,
    Definition,
    Kind,
    Op,
    Option,
    Question,
    Section,
)
from portal.surveys.models import Survey
from portal.surveys.service import create_survey
from tests.unit.progress.press_helpers import press_user


def hans(text: str) -> dict[str, str]:
    return {"zh_Hans": text}


def options(*words: str, other: str = "") -> list[Option]:
    made = [Option(key=f"o{i}", text=hans(w)) for i, w in enumerate(words, start=1)]
    if other:
        made.append(Option(key=f"o{len(words) + 1}", text=hans(other), other=True))
    return made


def sample_definition() -> Definition:
    """s1: where do you live (single, with other) → s2 only for 集美街道 (o1): rating; a reason
    only for ratings 1–2, and a follow-up to the reason only when it was answered (a chain).
    s3: everything else, for everyone."""
    where = Question(
        key="q1", kind=Kind.SINGLE, text=hans("您住在哪个街道？"), required=True,
        options=options("集美街道", "侨英街道", other="其他"),
    )  # fmt: skip
    rating = Question(key="q2", kind=Kind.RATING, text=hans("您对十里长堤的工程满意吗？"), required=True)
    why = Question(
        key="q3", kind=Kind.MULTIPLE, text=hans("哪里不满意？"), required=True, max_choices=2,
        options=options("噪音", "围挡", "工期", other="其他"),
        condition=Condition(question="q2", op=Op.BETWEEN, low=1, high=2),
    )  # fmt: skip
    noise = Question(
        key="q4", kind=Kind.LONG_TEXT, text=hans("噪音在什么时候最严重？"),
        condition=Condition(question="q3", op=Op.INCLUDES, option="o1"),
    )  # fmt: skip
    nps = Question(key="q5", kind=Kind.NPS, text=hans("您会向朋友推荐去十里长堤散步吗？"))
    age = Question(key="q6", kind=Kind.NUMBER, text=hans("您的年龄"), low=10, high=120, unit=hans("岁"))
    visit = Question(key="q7", kind=Kind.DATE, text=hans("您最近一次去是哪天？"))
    grid = Question(
        key="q8", kind=Kind.MATRIX, text=hans("请为以下方面打分"),
        options=options("差", "一般", "好"), rows=[Option(key="r1", text=hans("绿化")), Option(key="r2", text=hans("照明"))],
    )  # fmt: skip
    name = Question(key="q9", kind=Kind.SHORT_TEXT, text=hans("您的称呼（可不填）"), personal=True)
    transport = Question(
        key="q10", kind=Kind.DROPDOWN, text=hans("您怎么去？"), options=options("步行", "公交", "开车")
    )
    return Definition(
        sections=[
            Section(key="s1", title=hans("关于您"), questions=[where]),
            Section(
                key="s2",
                title=hans("十里长堤"),
                questions=[rating, why, noise],
                condition=Condition(question="q1", op=Op.EQUALS, option="o1"),
            ),
            Section(key="s3", title=hans("其他"), questions=[nps, age, visit, grid, name, transport]),
        ],
        last_key=20,
    )


def open_survey(db: Session, definition: Definition | None = None, **changes: Any) -> Survey:
    owner = press_user(db)
    values: dict[str, Any] = {
        "slug": "shili-changdi-manyidu",
        "owner_id": owner.id,
        "title_zh_hans": "十里长堤工程满意度调查",
        "opens_at": utcnow() - timedelta(days=1),
        "closes_at": utcnow() + timedelta(days=30),
        "results_public": True,
        "salt": "",
    }
    values.update(changes)
    survey = create_survey(db, Survey(**values), definition or sample_definition())
    db.commit()
    return survey
