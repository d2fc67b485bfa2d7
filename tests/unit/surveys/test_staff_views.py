"""/staff/surveys: the press office and the command centre build and run surveys; other staff are
refused, residents sent to sign in; bad input gets a message beside its field and changes nothing;
an answered survey keeps its version for wording fixes and starts a new one for anything else."""

from __future__ import annotations

import re
from contextlib import ExitStack
from typing import Any

import pytest
from sqlmodel import Session, col, select

from portal.accounts.models import AuditEntry, StaffRole, StaffUser
from portal.surveys.definition import Answer, Definition, Kind, Question
from portal.surveys.models import Survey, SurveyState
from portal.surveys.service import browser_key, definition_of, state_of, submit, version_row
from tests.pages import PageClient
from tests.unit.dispatch.test_views import signed_in
from tests.unit.progress.press_helpers import a_department, a_project
from tests.unit.surveys.survey_data import open_survey


def post(client: PageClient, path: str, **fields: Any) -> Any:
    return client.post(path, data={"_csrf_token": client.csrf(), **fields}, follow_redirects=False)


def settings_fields(**changes: Any) -> dict[str, Any]:
    fields = {
        "slug": "shili-changdi-2026",
        "title_zh_Hans": "十里长堤满意度调查",
        "title_en": "Ten-mile Embankment survey",
        "intro_zh_Hans": "请花两分钟告诉我们您的看法。",
        "thanks_zh_Hans": "谢谢您的参与！",
        "audience": "browser",
        "min_responses": "5",
        "opens_at": "",
        "closes_at": "",
        "project": "",
    }
    fields.update(changes)
    return fields


def survey_by_slug(db: Session, slug: str) -> Survey | None:
    db.expire_all()
    return db.exec(select(Survey).where(Survey.slug == slug)).first()


def errors_of(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", m).replace("Error: ", "").strip()
            for m in re.findall(r'<p class="field-error"[^>]*>(.*?)</p>', html, re.S) if m.strip()]  # fmt: skip


def question_of(db: Session, survey: Survey, key: str, version: int | None = None) -> Question:
    found = definition_of(db, survey, version).question(key)
    assert found is not None, key
    return found


def answer_once(db: Session, survey: Survey, token: str = "t1") -> None:
    db.expire_all()
    survey = db.get(Survey, survey.id) or survey
    submit(
        db, survey, version_row(db, survey), {"q1": Answer(options=["o2"])}, browser_key("s", survey, token)
    )


@pytest.fixture
def press(app, db: Session) -> Any:  # type: ignore[no-untyped-def]
    with ExitStack() as stack:
        yield signed_in(stack, app, db, "press-builder", StaffRole.PRESS)


# --- who gets in ---------------------------------------------------------------------------------


def test_the_press_office_and_the_centre_get_in(app, db: Session) -> None:  # type: ignore[no-untyped-def]
    survey = open_survey(db)
    with ExitStack() as stack:
        for role in (StaffRole.PRESS, StaffRole.DISPATCHER, StaffRole.PRESS_LEAD):
            client = signed_in(stack, app, db, f"in-{role}", role)
            page = client.get("/staff/surveys")
            assert page.status_code == 200, role
            assert "十里长堤工程满意度调查" in page.text
            assert 'href="/staff/surveys"' in client.get("/staff").text  # the staff menu leads here
            assert client.get(f"/staff/surveys/{survey.id}/questions").status_code == 200


def test_other_staff_are_refused_and_residents_sent_to_sign_in(app, db: Session, client: PageClient) -> None:  # type: ignore[no-untyped-def]
    survey = open_survey(db)
    routes = ["/staff/surveys", "/staff/surveys/new", f"/staff/surveys/{survey.id}",
              f"/staff/surveys/{survey.id}/questions", f"/staff/surveys/{survey.id}/questions/q1",
              f"/staff/surveys/{survey.id}/sections/s1"]  # fmt: skip
    with ExitStack() as stack:
        department = signed_in(stack, app, db, "dept-user", StaffRole.DEPARTMENT, a_department(db))
        assert 'href="/staff/surveys"' not in department.get("/staff").text
        for route in routes:
            assert department.get(route).status_code == 403, route
        assert post(department, "/staff/surveys", **settings_fields()).status_code == 403
        assert post(department, f"/staff/surveys/{survey.id}/life", action="close").status_code == 403
    for route in routes:
        answer = client.get(route, follow_redirects=False)
        assert answer.status_code in {302, 303, 401}, route
        assert "十里长堤" not in answer.text
    assert post(client, "/staff/surveys", **settings_fields()).status_code in {302, 303, 401}
    assert survey_by_slug(db, "shili-changdi-2026") is None
    assert state_of(survey_by_slug(db, survey.slug) or survey) == SurveyState.OPEN


def test_a_form_without_its_csrf_token_is_refused(press: PageClient, db: Session) -> None:
    answer = press.post("/staff/surveys", data=settings_fields(), follow_redirects=False)
    assert answer.status_code == 403
    assert survey_by_slug(db, "shili-changdi-2026") is None


# --- building one --------------------------------------------------------------------------------


def test_create_build_open_close_hide_and_delete(press: PageClient, db: Session) -> None:
    project = a_project(db)
    made = post(press, "/staff/surveys", **settings_fields(project=str(project.id)))
    assert made.status_code == 303
    survey = survey_by_slug(db, "shili-changdi-2026")
    assert survey is not None and survey.project_id == project.id and survey.min_responses == 5
    editor = press.get(made.headers["location"])
    assert "The survey is made" in editor.text and "Add at least one question." in editor.text

    base = f"/staff/surveys/{survey.id}"
    assert post(press, f"{base}/questions", action="add-section", new_section="关于您").status_code == 303
    added = post(
        press, f"{base}/questions", action="add-question:s1", **{"kind-s1": "single", "text-s1": "您住在哪？"}
    )
    assert added.status_code == 303 and added.headers["location"].startswith(f"{base}/questions/q2")
    form = {
        "opt-keys": [],
        "text_zh_Hans": "您住在哪个街道？",
        "required": "on",
        "opt-new-zh_Hans": "集美街道",
    }
    assert post(press, f"{base}/questions/q2", action="add-option", **form).status_code == 303
    form = {"opt-keys": ["o3"], "text_zh_Hans": "您住在哪个街道？", "required": "on",
            "opt-o3-zh_Hans": "集美街道", "opt-new-zh_Hans": "其他", "opt-new-other": "on"}  # fmt: skip
    assert post(press, f"{base}/questions/q2", action="save", **form).status_code == 303
    question = definition_of(db, survey_by_slug(db, survey.slug) or survey).question("q2")
    assert question is not None and [o.text["zh_Hans"] for o in question.options] == ["集美街道", "其他"]
    assert [o.other for o in question.options] == [False, True] and question.required

    # opening from the settings page, and the list says so
    assert post(press, f"{base}/life", action="open").status_code == 303
    listing = press.get("/staff/surveys").text
    assert re.search(r'id="survey-shili-changdi-2026".*?tag--survey-open', listing, re.S)
    assert post(press, f"{base}/life", action="close").status_code == 303
    assert state_of(survey_by_slug(db, survey.slug) or survey) == SurveyState.CLOSED
    assert post(press, f"{base}/life", action="reopen").status_code == 303
    assert post(press, f"{base}/life", action="hide").status_code == 303
    hidden = survey_by_slug(db, survey.slug)
    assert hidden is not None and hidden.hidden and state_of(hidden) == SurveyState.CLOSED
    assert post(press, f"{base}/life", action="unhide").status_code == 303
    actions = set(db.exec(select(AuditEntry.action).where(col(AuditEntry.action).startswith("survey-"))))
    assert {"survey-created", "survey-questions", "survey-open", "survey-close", "survey-hide"} <= actions

    deleted = post(press, f"{base}/delete")
    assert deleted.status_code == 303
    assert survey_by_slug(db, survey.slug) is None
    assert "The survey is deleted." in press.get(deleted.headers["location"]).text


def test_an_answered_survey_cannot_be_deleted_and_says_why(press: PageClient, db: Session) -> None:
    survey = open_survey(db)
    answer_once(db, survey)
    page = press.get(f"/staff/surveys/{survey.id}")
    assert "This survey has responses, so it cannot be deleted" in page.text
    refused = post(press, f"/staff/surveys/{survey.id}/delete")
    assert refused.status_code == 422
    assert "close it and hide it instead" in refused.text
    assert survey_by_slug(db, survey.slug) is not None


def test_a_survey_with_problems_does_not_open(press: PageClient, db: Session) -> None:
    made = post(press, "/staff/surveys", **settings_fields(opens_at="2026-12-01T09:00"))
    assert made.status_code == 422
    assert "cannot open until its questions are ready" in made.text
    assert survey_by_slug(db, "shili-changdi-2026") is None
    assert post(press, "/staff/surveys", **settings_fields()).status_code == 303
    survey = survey_by_slug(db, "shili-changdi-2026")
    assert survey is not None
    refused = post(press, f"/staff/surveys/{survey.id}/life", action="open")
    assert refused.status_code == 422 and "cannot open until its questions are ready" in refused.text
    assert (survey_by_slug(db, survey.slug) or survey).opens_at is None


# --- versions --------------------------------------------------------------------------------------


def test_wording_stays_in_version_1_and_structure_starts_version_2(press: PageClient, db: Session) -> None:
    survey = open_survey(db)
    answer_once(db, survey)
    base = f"/staff/surveys/{survey.id}"
    editor = press.get(f"{base}/questions/q1").text
    assert (
        "1 response answered version 1: wording fixes stay in it; any other change starts version 2" in editor
    )

    fields = {"opt-keys": ["o1", "o2", "o3"], "required": "on", "text_zh_Hans": "您住在集美区哪个街道？",
              "opt-o1-zh_Hans": "集美街道", "opt-o2-zh_Hans": "侨英街道", "opt-o3-zh_Hans": "其他",
              "opt-o3-other": "on"}  # fmt: skip
    assert post(press, f"{base}/questions/q1", action="save", **fields).status_code == 303
    kept = survey_by_slug(db, survey.slug)
    assert kept is not None and kept.version == 1
    assert question_of(db, kept, "q1").text["zh_Hans"] == "您住在集美区哪个街道？"

    changed = post(
        press, f"{base}/questions/q1", action="add-option", **fields, **{"opt-new-zh_Hans": "杏林街道"}
    )
    assert changed.status_code == 303
    shown = press.get(changed.headers["location"]).text
    assert "Saved as version 2" in shown
    kept = survey_by_slug(db, survey.slug)
    assert kept is not None and kept.version == 2
    assert len(question_of(db, kept, "q1", 1).options) == 3
    assert len(question_of(db, kept, "q1", 2).options) == 4
    assert "survey-version" in set(db.exec(select(AuditEntry.action)))


# --- bad input -------------------------------------------------------------------------------------


def test_bad_settings_get_messages_and_change_nothing(press: PageClient, db: Session) -> None:
    taken = open_survey(db)
    answer = post(press, "/staff/surveys", **settings_fields(slug=taken.slug))
    assert answer.status_code == 422
    assert f"The address /surveys/{taken.slug} is already used by another survey" in answer.text
    assert "<title>Error:" in answer.text and 'href="#slug"' in answer.text
    long = post(press, "/staff/surveys", **settings_fields(title_zh_Hans="长" * 100_000))
    assert long.status_code == 422
    assert "This is too long: at most 120 characters." in errors_of(long.text)
    wrong = post(press, "/staff/surveys", **settings_fields(slug="Shili Changdi", min_responses="0",
                                                            closes_at="2026-13-40T10:00", audience="everyone"))  # fmt: skip
    assert wrong.status_code == 422
    found = errors_of(wrong.text)
    assert any("lowercase letters" in e for e in found)
    assert "Enter a whole number from 1 to 1000." in found
    assert "Choose who may answer." in found
    assert len(db.exec(select(Survey)).all()) == 1

    chinese = press.post("/staff/surveys", data={"_csrf_token": press.csrf(), **settings_fields(title_zh_Hans="")},
                         headers={"Accept-Language": "zh-CN"}, follow_redirects=False)  # fmt: skip
    assert chinese.status_code == 422 and "错误" in chinese.text


def test_the_audience_of_an_answered_survey_does_not_change(press: PageClient, db: Session) -> None:
    survey = open_survey(db)
    answer_once(db, survey)
    fields = settings_fields(slug=survey.slug, audience="phone", opens_at="", closes_at="")
    answer = post(press, f"/staff/surveys/{survey.id}", **fields)
    assert answer.status_code == 422
    assert "Who may answer cannot change once the survey has responses" in answer.text
    assert (survey_by_slug(db, survey.slug) or survey).audience == "browser"


def test_forged_keys_and_later_conditions_are_refused(press: PageClient, db: Session) -> None:
    survey = open_survey(db)
    base = f"/staff/surveys/{survey.id}"
    before = definition_of(db, survey).to_json()
    assert press.get(f"{base}/questions/q99").status_code == 404
    assert post(press, f"{base}/questions/q99", action="save", text_zh_Hans="x").status_code == 404
    assert post(press, f"{base}/questions", action="question-delete:q99").status_code == 422

    fields = {"opt-keys": ["o1", "o2", "o3", "o9"], "text_zh_Hans": "您住在哪个街道？", "opt-o1-zh_Hans": "a",
              "opt-o2-zh_Hans": "b", "opt-o3-zh_Hans": "c", "opt-o9-zh_Hans": "d"}  # fmt: skip
    forged = post(press, f"{base}/questions/q1", action="save", **fields)
    assert forged.status_code == 422 and "This form does not match the survey any more" in forged.text

    later = {"text_zh_Hans": "您对十里长堤的工程满意吗？", "required": "on",
             "cond_question": "q5", "cond_op": "between", "cond_low": "1", "cond_high": "3"}  # fmt: skip
    refused = post(press, f"{base}/questions/q2", action="save", **later)
    assert refused.status_code == 422
    assert "A condition can only look at an earlier choice, rating or number question." in errors_of(
        refused.text
    )
    wrong_op = post(press, f"{base}/questions/q2", action="save", **{**later, "cond_question": "q1"})
    assert wrong_op.status_code == 422 and any(
        "Choose how the answer is compared" in e for e in errors_of(wrong_op.text)
    )

    # moving the question a condition looks at below the one that depends on it
    moved = post(press, f"{base}/questions", action="question-down:q3")
    assert moved.status_code == 422 and "A condition can only look at an earlier question" in moved.text
    # deleting an option or a question a condition looks at
    gone = post(press, f"{base}/questions", action="question-delete:q2")
    assert gone.status_code == 422 and "looks at this: change that condition first" in gone.text
    db.expire_all()
    assert definition_of(db, survey).to_json() == before


def test_open_surveys_take_no_change_that_leaves_a_problem(press: PageClient, db: Session) -> None:
    survey = open_survey(db)
    base = f"/staff/surveys/{survey.id}"
    answer = post(
        press, f"{base}/questions", action="add-question:s3", **{"kind-s3": "single", "text-s3": "新问题"}
    )
    assert answer.status_code == 422
    assert "The survey is open, so a change must leave it ready to answer" in answer.text
    assert "Give at least two options." in answer.text
    db.expire_all()
    assert definition_of(db, survey).question("q21") is None


def test_a_matrix_and_a_section_condition(press: PageClient, db: Session) -> None:
    survey = open_survey(db, definition=Definition(), opens_at=None, closes_at=None, slug="empty-one")
    base = f"/staff/surveys/{survey.id}"
    post(press, f"{base}/questions", action="add-section", new_section="关于您")
    post(
        press,
        f"{base}/questions",
        action="add-question:s1",
        **{"kind-s1": "dropdown", "text-s1": "您住在哪？"},
    )
    for word, keys in (("集美街道", []), ("侨英街道", ["o3"])):
        typed = {f"opt-{k}-zh_Hans": w for k, w in zip(keys, ["集美街道"], strict=False)}
        post(press, f"{base}/questions/q2", action="add-option", text_zh_Hans="您住在哪？",
             **{"opt-keys": keys, **typed, "opt-new-zh_Hans": word})  # fmt: skip
    post(press, f"{base}/questions", action="add-section", new_section="十里长堤")
    assert (
        post(
            press, f"{base}/questions", action="add-question:s5", **{"kind-s5": "matrix", "text-s5": "打分"}
        ).status_code
        == 303
    )
    grid = {"text_zh_Hans": "请打分", "opt-keys": [], "row-keys": [], "opt-new-zh_Hans": "差"}
    post(press, f"{base}/questions/q6", action="add-option", **grid)
    grid = {"text_zh_Hans": "请打分", "opt-keys": ["o7"], "opt-o7-zh_Hans": "差", "row-keys": [],
            "opt-new-zh_Hans": "好", "row-new-zh_Hans": "绿化"}  # fmt: skip
    assert post(press, f"{base}/questions/q6", action="add-row", **grid).status_code == 303
    condition = {
        "title_zh_Hans": "十里长堤",
        "cond_question": "q2",
        "cond_op": "equals",
        "cond_option": "q2:o3",
    }
    assert post(press, f"{base}/sections/s5", **condition).status_code == 303
    db.expire_all()
    definition = definition_of(db, survey)
    matrix = definition.question("q6")
    assert matrix is not None and matrix.kind == Kind.MATRIX
    assert [o.text["zh_Hans"] for o in matrix.options] == ["差", "好"]
    assert [r.text["zh_Hans"] for r in matrix.rows] == ["绿化"]
    section = definition.section("s5")
    assert section is not None and section.condition is not None and section.condition.option == "o3"
    page = press.get(f"{base}/questions").text
    assert "Shown only when the answer to Q1 equals “集美街道”." in page
    assert "Yes: every question is complete." in page
    # the section condition cannot look at its own question
    own = post(press, f"{base}/sections/s5", **{**condition, "cond_question": "q6", "cond_option": ""})
    assert own.status_code == 422


def test_a_refused_question_form_keeps_what_was_typed(press: PageClient, db: Session) -> None:
    survey = open_survey(db, opens_at=None, closes_at=None)
    base = f"/staff/surveys/{survey.id}"
    fields = {
        "text_zh_Hans": "您的年龄",
        "text_en": "Your age",
        "low": "0",
        "high": "1000000",
        "unit_zh_Hans": "岁",
    }
    assert post(press, f"{base}/questions/q6", action="save", **fields).status_code == 303
    page = press.get(f"{base}/questions/q6").text
    assert 'value="1000000"' in page and 'value="Your age"' not in page  # a textarea holds the words
    assert ">Your age</textarea>" in page

    refused = post(
        press, f"{base}/questions/q6", action="save", **{**fields, "text_zh_Hans": "", "low": "ten"}
    )
    assert refused.status_code == 422
    assert ">Your age</textarea>" in refused.text and 'value="ten"' in refused.text
    assert re.search(r'<input id="low"[^>]*aria-invalid="true"', refused.text)
    assert 'href="#text_zh_Hans"' in refused.text and 'href="#low"' in refused.text
    assert errors_of(refused.text) == [
        "Write the question in Simplified Chinese.",
        "Enter a number, such as 3 or 2.5.",
    ]
    db.expire_all()
    kept = question_of(db, survey, "q6")
    assert kept.text["zh_Hans"] == "您的年龄" and kept.high == 1_000_000


def test_survey_pages_lead_to_results_and_to_text_answers_for_those_who_approve_them(
    app, db: Session
) -> None:  # type: ignore[no-untyped-def]
    with ExitStack() as stack:
        clients = {
            (username, approves): signed_in(stack, app, db, username, role)
            for username, role, approves in (
                ("owner-writer", StaffRole.PRESS, True),
                ("press-lead-1", StaffRole.PRESS_LEAD, True),
                ("another-writer", StaffRole.PRESS, False),
                ("centre-1", StaffRole.DISPATCHER, False),
            )
        }
        owner = db.exec(select(StaffUser).where(StaffUser.username == "owner-writer")).one()
        survey = open_survey(db, owner_id=owner.id)
        pages = ("/staff/surveys", f"/staff/surveys/{survey.id}", f"/staff/surveys/{survey.id}/questions")
        for (username, approves), client in clients.items():
            for page in pages:
                html = client.get(page).text
                assert f'href="/surveys/{survey.slug}/results"' in html, page
                assert (f'href="/staff/surveys/{survey.id}/texts"' in html) is approves, (username, page)
            assert client.get(f"/staff/surveys/{survey.id}/texts").status_code == (200 if approves else 403)
