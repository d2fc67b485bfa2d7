"""The figures of a survey's results, counted by the database: every summary on a hand-made set."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import Session, col, select

from portal.contact import mask_names_in_text
from portal.surveys.definition import Answer, Kind, Question
from portal.surveys.models import SurveyAnswer
from portal.surveys.results import (
    Filter,
    FilterRefused,
    asked_in,
    compute,
    headlines,
    parse_filter,
    public_text,
    summary_rows,
)
from portal.surveys.service import definition_of, save_definition
from tests.unit.surveys.results_data import answer, resident
from tests.unit.surveys.survey_data import hans, open_survey


def by_key(results, key):  # type: ignore[no-untyped-def]
    return next(r for r in results.questions if r.key == key)


def test_nps_is_promoters_minus_detractors_with_each_share(db: Session) -> None:
    survey = open_survey(db)
    # 10, 9, 9 promoters; 8, 7 passives; 6, 3, 0 detractors: 8 answered
    answer(db, survey, [resident(nps=n) for n in (10, 9, 9, 8, 7, 6, 3, 0)])
    nps = by_key(compute(db, survey), "q5").nps
    assert nps is not None
    assert (nps.promoters, nps.passives, nps.detractors) == (3, 2, 3)
    assert (nps.promoters_percent, nps.passives_percent, nps.detractors_percent) == (
        Decimal("37.5"), Decimal("25.0"), Decimal("37.5"),
    )  # fmt: skip
    assert nps.score == Decimal("0.0")


def test_nps_is_rounded_once_from_the_counts(db: Session) -> None:
    survey = open_survey(db, min_responses=3)
    # 1 promoter, 2 detractors of 3: the shares round to 33.3 and 66.7 (a difference of −33.4), but
    # the score is (1 − 2) ÷ 3 × 100 = −33.3, rounded once; the page prints that arithmetic.
    answer(db, survey, [resident(nps=n) for n in (10, 6, 0)])
    nps = by_key(compute(db, survey), "q5").nps
    assert nps is not None and nps.score == Decimal("-33.3") and nps.answered == 3


def test_a_rating_has_its_average_to_one_place_and_every_point_counted(db: Session) -> None:
    survey = open_survey(db)
    answer(db, survey, [resident(rating=r) for r in (5, 5, 4, 2, 1, 5)])
    rating = by_key(compute(db, survey), "q2")
    assert rating.average == Decimal("3.7")  # 22 / 6 = 3.67
    assert [(p.value, p.count) for p in rating.points] == [(1, 1), (2, 1), (3, 0), (4, 1), (5, 3)]
    assert rating.points[4].percent == Decimal("50.0")


def test_a_multiple_choice_counts_each_option_in_percent_of_those_who_answered(db: Session) -> None:
    survey = open_survey(db)
    answer(
        db,
        survey,
        [
            resident(rating=1, q3=Answer(options=["o1", "o2"])),
            resident(rating=2, q3=Answer(options=["o1"])),
            resident(rating=1, q3=Answer(options=["o1", "o4"], other="晚上施工")),
            resident(rating=5),
            resident(rating=4),
        ],
    )
    why = by_key(compute(db, survey), "q3")
    assert why.answered == 3
    assert [(s.key, s.count, s.percent) for s in why.shares] == [
        ("o1", 3, Decimal("100.0")),
        ("o2", 1, Decimal("33.3")),
        ("o3", 0, Decimal("0.0")),
        ("o4", 1, Decimal("33.3")),
    ]
    assert why.shares[3].other


@pytest.mark.parametrize(
    ("ages", "median"), [((30, 20, 70, 41, 50), Decimal("41")), ((30, 20, 70, 41, 50, 61), Decimal("45.5"))]
)
def test_the_median_of_an_odd_and_an_even_count(db: Session, ages: tuple[int, ...], median: Decimal) -> None:
    survey = open_survey(db)
    answer(db, survey, [resident(age=a) for a in ages])
    numbers = by_key(compute(db, survey), "q6").numbers
    assert numbers is not None
    assert numbers.median == median
    assert (numbers.low, numbers.high, numbers.count) == (Decimal(20), Decimal(70), len(ages))
    assert numbers.average == (Decimal(sum(ages)) / len(ages)).quantize(Decimal("0.1"))


def test_a_matrix_counts_each_row_on_its_scale(db: Session) -> None:
    survey = open_survey(db)
    grids = [{"r1": "o3", "r2": "o1"}, {"r1": "o3", "r2": "o2"}, {"r1": "o2"}, {"r1": "o3", "r2": "o1"}, {}]
    answer(db, survey, [resident(q8=Answer(rows=g)) if g else resident() for g in grids])
    matrix = by_key(compute(db, survey), "q8")
    assert matrix.answered == 4
    r1, r2 = matrix.matrix
    assert [(s.key, s.count) for s in r1.shares] == [("o1", 0), ("o2", 1), ("o3", 3)]
    assert r1.shares[2].percent == Decimal("75.0")
    assert [(s.key, s.count) for s in r2.shares] == [("o1", 2), ("o2", 1), ("o3", 0)]
    assert r2.answered == 3


def test_dates_give_the_earliest_latest_and_each_month(db: Session) -> None:
    survey = open_survey(db)
    days = ["2026-10-03", "2026-11-20", "2026-11-02", "2026-09-30", "2026-11-02"]
    answer(db, survey, [resident(q7=Answer(text=d)) for d in days])
    visit = by_key(compute(db, survey), "q7")
    assert (visit.earliest, visit.latest) == ("2026-09-30", "2026-11-20")
    assert [(m.month, m.count) for m in visit.months] == [("2026-09", 1), ("2026-10", 1), ("2026-11", 3)]


def test_fewer_responses_than_the_minimum_show_no_figure(db: Session) -> None:
    survey = open_survey(db, min_responses=5)
    answer(db, survey, [resident() for _ in range(4)])
    results = compute(db, survey)
    assert results.total == 4 and not results.breakdown
    assert all(not r.shares and not r.points and r.numbers is None for r in results.questions)
    assert summary_rows(results) == []
    answer(db, survey, [resident()], start=4)
    assert compute(db, survey).breakdown


def test_a_filter_keeps_the_responses_with_that_answer_and_its_own_minimum(db: Session) -> None:
    survey = open_survey(db, min_responses=3)
    answer(db, survey, [resident("o1", rating=5)] * 0 + [resident(w, rating=r) for w, r in
                        (("o1", 5), ("o1", 4), ("o1", 3), ("o2", 1), ("o2", 1))])  # fmt: skip
    _versions, asked = asked_in(db, survey)
    chosen = parse_filter("q1:o1", asked)
    assert chosen == Filter("q1", "o1")
    jimei = compute(db, survey, chosen)
    assert jimei.total == 3 and jimei.breakdown
    assert by_key(jimei, "q2").average == Decimal("4.0")
    qiaoying = compute(db, survey, parse_filter("q1:o2", asked))
    assert qiaoying.total == 2 and not qiaoying.breakdown
    for forged in ("q1:o9", "q2:o1", "q9:o1", "q1", "'; drop table survey; --"):
        with pytest.raises(FilterRefused):
            parse_filter(forged, asked)


def test_texts_show_only_once_approved_and_masked(db: Session) -> None:
    survey = open_survey(db)
    words = "张三说晚上十点还在施工，电话13812345678"
    answer(db, survey, [resident(rating=1, q3=Answer(options=["o1"]), q4=Answer(text=words))] * 5)
    assert by_key(compute(db, survey), "q4").texts == []
    row = db.exec(select(SurveyAnswer).where(SurveyAnswer.question == "q4")).first()
    assert row is not None
    row.approved = True
    db.add(row)
    db.commit()
    texts = by_key(compute(db, survey), "q4").texts
    assert [t.text for t in texts] == ["张*说晚上十点还在施工，电话138********"]


def test_personal_questions_are_only_counted(db: Session) -> None:
    survey = open_survey(db)
    answer(db, survey, [resident(q9=Answer(text="王小明")) for _ in range(5)])
    for row in db.exec(select(SurveyAnswer).where(SurveyAnswer.question == "q9")):
        row.approved = True  # even approved (a forged form), never shown
        db.add(row)
    db.commit()
    results = compute(db, survey)
    name = by_key(results, "q9")
    assert name.answered == 5 and name.texts == [] and name.texts_total == 0
    assert [r for r in summary_rows(results) if r["question"] == "q9"] == [
        {"question": "q9", "kind": "short_text", "measure": "answered", "row": "", "option": "", "count": 5,
         "percent": "", "value": ""}
    ]  # fmt: skip


def test_versions_say_which_asked_each_question_and_how_many_answered_each(db: Session) -> None:
    survey = open_survey(db)
    answer(db, survey, [resident() for _ in range(3)])
    changed = definition_of(db, survey)
    changed.sections[2].questions.append(Question(key="q21", kind=Kind.RATING, text=hans("照明满意吗？")))
    assert save_definition(db, survey, changed).new_version
    db.commit()
    answer(db, survey, [resident(q21=Answer(number=4)) for _ in range(2)], start=10)
    results = compute(db, survey)
    assert results.by_version == [(1, 3), (2, 2)]
    assert by_key(results, "q21").asked.versions == [2]
    assert by_key(results, "q2").asked.versions == [1, 2]
    assert by_key(results, "q2").answered == 5


def test_names_are_masked_where_they_stand_as_words() -> None:
    assert mask_names_in_text("我叫李四，住在集美") == "我叫李*，住在集美"
    assert mask_names_in_text("王先生反映") == "王先生反映"
    assert mask_names_in_text("周末很吵") == "周末很吵"
    assert public_text("陈小红 13912345678") == "陈** 139********"


def test_the_project_headline_is_the_first_rating_once_past_the_minimum(db: Session) -> None:
    from portal.progress import editing
    from tests.unit.progress.press_helpers import press_user, project_input

    project = editing.save_project(db, press_user(db), None, project_input(db), address="")
    survey = open_survey(db, project_id=project.id, min_responses=3)
    answer(db, survey, [resident(rating=r) for r in (5, 4)])
    (line,) = headlines(db, project.id or 0)
    assert (line.responses, line.results_shown, line.figure) == (2, False, None)
    answer(db, survey, [resident(rating=3)], start=2)
    (line,) = headlines(db, project.id or 0)
    assert (line.responses, line.results_shown, line.kind, line.figure) == (
        3,
        True,
        Kind.RATING,
        Decimal("4.0"),
    )
    survey.hidden = True
    db.add(survey)
    db.commit()
    assert headlines(db, project.id or 0) == []


def test_answers_of_other_surveys_are_not_counted(db: Session) -> None:
    survey = open_survey(db)
    other = open_survey(db, slug="another-one")
    answer(db, survey, [resident(rating=5) for _ in range(5)])
    answer(db, other, [resident(rating=1) for _ in range(5)])
    assert by_key(compute(db, survey), "q2").average == Decimal("5.0")
    assert db.exec(select(col(SurveyAnswer.id))).all()


def test_the_same_words_given_by_many_show_once_with_their_count(db: Session) -> None:
    survey = open_survey(db)
    others = [
        resident(q1=Answer(options=["o3"], other=w))
        for w in ("杏林街道", "海沧区", "杏林街道", "杏林街道", "海沧区")
    ]
    answer(db, survey, others)
    for row in db.exec(select(SurveyAnswer).where(SurveyAnswer.question == "q1")):
        row.approved = True
        db.add(row)
    db.commit()
    assert by_key(compute(db, survey), "q1").texts_grouped == [("杏林街道", 3), ("海沧区", 2)]
