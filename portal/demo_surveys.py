"""Demonstration surveys: the satisfaction survey of the Ten-mile Embankment works (十里长堤), open to
anyone once per browser, with a section only for residents of 集美街道 and a question only for those
who are not satisfied, answered a few hundred times; and the e-bike campaign's survey (电动自行车专项
整治), one response per confirmed phone number.

Responses are drawn from a seeded random generator, so every load tells the same story: most are
satisfied, the works' noise and hoardings are what the others name. Dates count back from the day of
loading. A few written suggestions are approved for the public results (one carries a phone number,
to show it masked). Safe to run twice: a survey that is there already is left as it is.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from portal.accounts.models import StaffUser
from portal.db import utcnow
from portal.progress.models import Project
from portal.progress.texts import to_hant
from portal.surveys.definition import (
    Answer,
    Condition,
    Definition,
    Kind,
    Op,
    Option,
    Question,
    Section,
)
from portal.surveys.models import Audience, Survey, SurveyResponse
from portal.surveys.service import answer_rows, browser_key, create_survey, version_row


def _t(hans: str, en: str, hant: str = "s2hk") -> dict[str, str]:
    return {"zh_Hans": hans, "zh_Hant": to_hant(hans, hant), "en": en}


def _options(
    pairs: list[tuple[str, str]], hant: str, *, other: tuple[str, str] | None = None
) -> list[Option]:
    made = [Option(key=f"o{i}", text=_t(h, e, hant)) for i, (h, e) in enumerate(pairs, start=1)]
    if other:
        made.append(Option(key=f"o{len(pairs) + 1}", text=_t(*other, hant), other=True))
    return made


STREETS = [
    ("集美街道", "Jimei Subdistrict"),
    ("侨英街道", "Qiaoying Subdistrict"),
    ("杏林街道", "Xinglin Subdistrict"),
    ("杏滨街道", "Xingbin Subdistrict"),
    ("灌口镇", "Guankou Town"),
    ("后溪镇", "Houxi Town"),
]


def shili_definition(hant: str = "s2hk") -> Definition:
    where = Question(
        key="q1", kind=Kind.SINGLE, required=True,
        text=_t("您住在哪个街道（镇）？", "Which subdistrict or town do you live in?", hant),
        options=_options(STREETS, hant, other=("其他地方", "Somewhere else")),
    )  # fmt: skip
    often = Question(
        key="q2", kind=Kind.SINGLE, required=True,
        text=_t("您多久去一次十里长堤？", "How often do you go to the Ten-mile Embankment?", hant),
        options=_options([("几乎每天", "Almost every day"), ("每周几次", "A few times a week"),
                          ("每月几次", "A few times a month"), ("很少去", "Rarely")], hant),
    )  # fmt: skip
    rating = Question(
        key="q3", kind=Kind.RATING, required=True,
        text=_t("总的来说，您对十里长堤整治提升工程满意吗？", "Overall, how satisfied are you with the Ten-mile Embankment works?", hant),
        help=_t("1 表示很不满意，5 表示很满意。", "1 means very dissatisfied, 5 very satisfied.", hant),
    )  # fmt: skip
    improve = Question(
        key="q4", kind=Kind.MULTIPLE, required=True, max_choices=3,
        text=_t("哪些方面最需要改进？（最多选三项）", "What most needs improving? (at most three)", hant),
        options=_options([("施工噪音", "Noise from the works"), ("围挡占道", "Hoardings blocking the way"),
                          ("工期太长", "The works take too long"), ("夜间照明", "Lighting at night"),
                          ("垃圾清运", "Litter collection")], hant, other=("其他", "Something else")),
        condition=Condition(question="q3", op=Op.BETWEEN, low=1, high=3),
    )  # fmt: skip
    aspects = Question(
        key="q5", kind=Kind.MATRIX, required=True,
        text=_t("请评价以下几个方面", "How do you rate each of these?", hant),
        options=_options([("不满意", "Dissatisfied"), ("一般", "Neither"), ("满意", "Satisfied")], hant),
        rows=[Option(key=f"r{i}", text=_t(h, e, hant)) for i, (h, e) in enumerate(
            [("步道", "Footpaths"), ("绿化", "Planting"), ("照明", "Lighting"), ("护栏", "Railings"),
             ("环境卫生", "Cleanliness")], start=1)],
    )  # fmt: skip
    recommend = Question(
        key="q6", kind=Kind.NPS,
        text=_t("您有多大可能推荐亲友来十里长堤散步？", "How likely are you to recommend a walk on the embankment to friends and family?", hant),
        help=_t("0 表示完全不可能，10 表示非常可能。", "0 means not at all likely, 10 extremely likely.", hant),
    )  # fmt: skip
    travel = Question(
        key="q7", kind=Kind.DROPDOWN,
        text=_t("施工期间，您的日常出行受到影响了吗？", "Did the works affect your daily journeys?", hant),
        options=_options([("没有影响", "Not at all"), ("有些影响", "Somewhat"), ("影响很大", "A lot")], hant),
    )  # fmt: skip
    ideas = Question(
        key="q8", kind=Kind.LONG_TEXT,
        text=_t("您对十里长堤后续的管理还有什么建议？", "Any suggestions for looking after the embankment from now on?", hant),
        help=_t("请不要填写姓名、电话等个人信息。", "Please do not write your name, phone number or other personal details.", hant),
    )  # fmt: skip
    return Definition(
        sections=[
            Section(key="s1", title=_t("关于您", "About you", hant), questions=[where, often]),
            Section(
                key="s2",
                title=_t("工程评价", "The works", hant),
                questions=[rating, improve, aspects, recommend],
            ),
            Section(
                key="s3",
                title=_t("集美街道居民", "Residents of Jimei Subdistrict", hant),
                questions=[travel],
                condition=Condition(question="q1", op=Op.EQUALS, option="o1"),
            ),
            Section(key="s4", title=_t("建议", "Suggestions", hant), questions=[ideas]),
        ],
        last_key=30,
    )


def ebike_definition(hant: str = "s2hk") -> Definition:
    rides = Question(
        key="q1", kind=Kind.SINGLE, required=True,
        text=_t("您平时骑电动自行车吗？", "Do you ride an electric bicycle?", hant),
        options=_options([("经常骑", "Often"), ("偶尔骑", "Sometimes"), ("不骑", "Never")], hant),
    )  # fmt: skip
    distance = Question(
        key="q2", kind=Kind.NUMBER, low=0, high=200,
        text=_t("您一天大约骑多少公里？", "About how far do you ride in a day?", hant),
        unit=_t("公里", "km", hant),
        condition=Condition(question="q1", op=Op.DIFFERS, option="o3"),
    )  # fmt: skip
    order = Question(
        key="q3", kind=Kind.RATING, required=True,
        text=_t("整治以来，您小区周边电动自行车的停放秩序如何？", "Since the campaign began, how orderly is e-bike parking around your neighbourhood?", hant),
        help=_t("1 表示很乱，5 表示很整齐。", "1 means very messy, 5 very orderly.", hant),
    )  # fmt: skip
    wants = Question(
        key="q4", kind=Kind.MULTIPLE, max_choices=2,
        text=_t("您最希望加强哪些方面？（最多选两项）", "What would you most like to see more of? (at most two)", hant),
        options=_options([("增加停车位", "More parking spaces"), ("安全充电设施", "Safe charging points"),
                          ("加大执法力度", "Stricter enforcement"), ("宣传劝导", "Information and advice")], hant),
    )  # fmt: skip
    return Definition(
        sections=[
            Section(key="s1", title=_t("骑行情况", "Your riding", hant), questions=[rides, distance]),
            Section(key="s2", title=_t("整治效果", "The campaign", hant), questions=[order, wants]),
        ],
        last_key=10,
    )


SUGGESTIONS = [
    ("希望晚上路灯能多开一会儿，十点以后步道太暗了。", True),
    ("垃圾桶可以再多放几个，周末人多的时候不够用。", True),
    ("建议在长堤边增加一些座椅，方便老人休息。", True),
    ("施工围挡撤掉以后视野开阔多了，点赞！", True),
    ("希望加强对遛狗不牵绳的管理。", True),
    ("早上有人在步道上骑电动车，很危险，建议设置隔离桩。", True),
    ("能不能增设一处公共厕所？有问题可以打我电话13859201234。", True),
    ("护栏刷新后很好看，希望定期维护。", True),
    ("建议增加几处饮水点。", True),
    ("夏天树荫太少，希望多种些大树。", True),
    ("停车太难了，附近能不能规划一个停车场。", False),
    ("我是住在附近的老张，施工噪音影响了孩子午睡。", True),
]

OTHER_STREETS = ["海沧区", "思明区", "同安区"]
# The words the survey's owner approved for the public results.
APPROVED = {text for text, approved in SUGGESTIONS if approved} | set(OTHER_STREETS)


def _weighted(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _shili_answers(rng: random.Random) -> dict[str, Answer]:
    street = _weighted(rng, {"o1": 35, "o2": 20, "o3": 15, "o4": 10, "o5": 8, "o6": 7, "o7": 5})
    answers: dict[str, Answer] = {"q1": Answer(options=[street])}
    if street == "o7":
        answers["q1"].other = rng.choice(OTHER_STREETS)
    answers["q2"] = Answer(options=[_weighted(rng, {"o1": 30, "o2": 35, "o3": 20, "o4": 15})])
    rating = _weighted(rng, {1: 4, 2: 6, 3: 15, 4: 40, 5: 35})
    answers["q3"] = Answer(number=float(rating))
    if rating <= 3:
        picks = rng.sample(["o1", "o2", "o3", "o4", "o5"], k=rng.choice([1, 2, 2, 3]))
        answers["q4"] = Answer(options=sorted(picks))
    answers["q5"] = Answer(
        rows={
            f"r{i}": _weighted(rng, {"o1": 1 + (rating <= 2) * 4, "o2": 3, "o3": rating + (i != 3) * 2})
            for i in range(1, 6)
        }
    )
    if rng.random() < 0.85:
        low, high = {5: (8, 10), 4: (7, 10), 3: (5, 8), 2: (2, 6), 1: (0, 4)}[rating]
        answers["q6"] = Answer(number=float(rng.randint(low, high)))
    if street == "o1" and rng.random() < 0.9:
        answers["q7"] = Answer(options=[_weighted(rng, {"o1": 45, "o2": 45, "o3": 10})])
    return answers


def _ebike_answers(rng: random.Random) -> dict[str, Answer]:
    rides = _weighted(rng, {"o1": 45, "o2": 30, "o3": 25})
    answers = {"q1": Answer(options=[rides])}
    if rides != "o3" and rng.random() < 0.9:
        answers["q2"] = Answer(number=float(rng.choice([2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25])))
    answers["q3"] = Answer(number=float(_weighted(rng, {1: 5, 2: 10, 3: 30, 4: 35, 5: 20})))
    if rng.random() < 0.8:
        answers["q4"] = Answer(options=sorted(rng.sample(["o1", "o2", "o3", "o4"], k=rng.choice([1, 2]))))
    return answers


@dataclass(frozen=True)
class DemoSurvey:
    slug: str
    project: str
    title: tuple[str, str]
    intro: tuple[str, str]
    thanks: tuple[str, str]
    audience: str
    opened: int  # days before the day of loading
    closes: int  # days after
    responses: int
    seed: int


SHILI_SURVEY = DemoSurvey(
    slug="shili-changdi-manyidu",
    project="shili-changdi",
    title=("十里长堤整治提升工程满意度调查", "Ten-mile Embankment works: how satisfied are you?"),
    intro=(
        "十里长堤整治提升工程已完成大部分施工。请花三分钟告诉我们您的感受，您的意见将用于后续的管理和维护。"
        "本问卷不收集姓名和电话。",
        "Most of the Ten-mile Embankment works are done. Please take three minutes to tell us how you find "
        "them: your answers will shape how the embankment is looked after. This survey does not ask for "
        "your name or phone number.",
    ),
    thanks=(
        "感谢您的参与！汇总结果将在本页公布。",
        "Thank you for taking part. The results are published on this site.",
    ),
    audience=Audience.BROWSER,
    opened=20,
    closes=40,
    responses=320,
    seed=1024,
)

EBIKE_SURVEY = DemoSurvey(
    slug="ebike-tingfang",
    project="ebike-campaign",
    title=("电动自行车停放秩序问卷", "E-bike parking: has it improved?"),
    intro=(
        "电动自行车专项整治开展以来，您身边的停放秩序有变化吗？每个手机号码可以回答一次，号码只用于核验，不会保存。",
        "Has e-bike parking around you changed since the campaign began? One response per phone number: the "
        "number is only used to check, never stored.",
    ),
    thanks=(
        "感谢您的反馈！交警集美大队将参考大家的意见调整整治措施。",
        "Thank you. The traffic police will take your answers into account.",
    ),
    audience=Audience.PHONE,
    opened=5,
    closes=25,
    responses=64,
    seed=2048,
)


def _load_survey(
    session: Session, demo: DemoSurvey, definition: Definition, owner: StaffUser, project: Project | None,
    now: datetime, secret: str, hant: str, answers_of: Any,
) -> None:  # fmt: skip
    survey = create_survey(
        session,
        Survey(
            slug=demo.slug, project_id=project.id if project else None, owner_id=owner.id or 0,
            title_zh_hans=demo.title[0], title_zh_hant=to_hant(demo.title[0], hant), title_en=demo.title[1],
            intro_zh_hans=demo.intro[0], intro_zh_hant=to_hant(demo.intro[0], hant), intro_en=demo.intro[1],
            thanks_zh_hans=demo.thanks[0], thanks_zh_hant=to_hant(demo.thanks[0], hant), thanks_en=demo.thanks[1],
            opens_at=now - timedelta(days=demo.opened), closes_at=now + timedelta(days=demo.closes),
            audience=demo.audience, results_public=True, salt="",
        ),
        definition,
    )  # fmt: skip
    version = version_row(session, survey)
    rng = random.Random(demo.seed)
    span = timedelta(days=demo.opened).total_seconds()
    suggestions = list(SUGGESTIONS)
    for index in range(demo.responses):
        answers = answers_of(rng)
        if demo.slug == SHILI_SURVEY.slug and suggestions and rng.random() < 0.12:
            answers["q8"] = Answer(text=suggestions.pop(0)[0])
        # Early days draw more answers than later ones.
        moment = now - timedelta(seconds=span * (1 - rng.random() ** 1.6))
        response = SurveyResponse(
            survey_id=survey.id or 0, version_id=version.id or 0, created_at=moment,
            respondent=browser_key(secret, survey, f"demonstration-{index}"),
        )  # fmt: skip
        session.add(response)
        session.flush()
        for row in answer_rows(definition, answers):
            row.survey_id, row.response_id = survey.id or 0, response.id or 0
            row.approved = row.text in APPROVED
            session.add(row)


def load_surveys(session: Session, *, secret: str, now: datetime | None = None, hant: str = "s2hk") -> int:
    """The demonstration surveys (new ones only), with their responses; how many were made. Needs the
    demonstration projects and the ``press`` account."""
    now = now or utcnow()
    owner = session.exec(select(StaffUser).where(StaffUser.username == "press")).one()
    existing = set(
        session.exec(select(Survey.slug).where(col(Survey.slug).in_([SHILI_SURVEY.slug, EBIKE_SURVEY.slug])))
    )
    made = 0
    for demo, definition, answers_of in (
        (SHILI_SURVEY, shili_definition(hant), _shili_answers),
        (EBIKE_SURVEY, ebike_definition(hant), _ebike_answers),
    ):
        if demo.slug in existing:
            continue
        project = session.exec(select(Project).where(Project.slug == demo.project)).first()
        _load_survey(session, demo, definition, owner, project, now, secret, hant, answers_of)
        made += 1
    session.flush()
    return made
