"""The builder's edits of a survey: adding, moving and removing sections, questions, options and rows;
keys never given twice; conditions only on earlier questions; settings checked field by field; a
refused edit changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, col, select

from portal.accounts.models import AuditEntry
from portal.db import utcnow
from portal.i18n import translator
from portal.surveys import building, service
from portal.surveys.building import EditRefused, SettingsInput
from portal.surveys.definition import Answer, Condition, Definition, Kind, Op, Question, Section
from portal.surveys.models import Survey, SurveyState
from tests.unit.progress.press_helpers import press_user
from tests.unit.surveys.survey_data import hans, open_survey, sample_definition

T = translator("en")


def refused(edit: Any, *args: Any, **kwargs: Any) -> dict[str, str]:
    with pytest.raises(EditRefused) as caught:
        edit(*args, **kwargs)
    return caught.value.problems.translated(T)


def question_form(question: Question, **changes: Any) -> dict[str, Any]:
    """The question's form as the page would post it, unchanged unless ``changes`` say so."""
    form: dict[str, Any] = {"action": "save", "required": "on" if question.required else ""}
    for loc, text in question.text.items():
        form[f"text_{loc}"] = text
    for kind, items in (("opt", question.options), ("row", question.rows)):
        form[f"{kind}-keys"] = [i.key for i in items]
        for item in items:
            for loc, text in item.text.items():
                form[f"{kind}-{item.key}-{loc}"] = text
            if item.other:
                form[f"{kind}-{item.key}-other"] = "on"
    if question.condition is not None:
        c = question.condition
        form.update(cond_question=c.question, cond_op=str(c.op), cond_option=f"{c.question}:{c.option}" if c.option else "",
                    cond_low="" if c.low is None else f"{c.low:g}", cond_high="" if c.high is None else f"{c.high:g}")  # fmt: skip
    if question.max_choices is not None:
        form["max_choices"] = str(question.max_choices)
    form.update(changes)
    return form


class Form(dict[str, Any]):
    """A posted form: ``getall`` as Litestar's form data has it."""

    def getall(self, name: str, default: Any = None) -> list[Any]:
        value = self.get(name, default if default is not None else [])
        return value if isinstance(value, list) else [value]


def change(definition: Definition, key: str, **changes: Any) -> Question:
    question = definition.question(key)
    assert question is not None
    return building.change_question(definition, key, Form(question_form(question, **changes)))


# --- sections and questions ----------------------------------------------------------------------


def test_keys_are_never_given_twice() -> None:
    definition = Definition()
    section = building.add_section(definition, "关于您")
    first = building.add_question(definition, section.key, "single", "您住在哪？")
    building.delete_question(definition, first.key)
    again = building.add_question(definition, section.key, "rating", "满意吗？")
    assert (section.key, first.key, again.key) == ("s1", "q2", "q3")
    added = change(definition, "q3")
    assert added.kind == Kind.RATING
    choice = building.add_question(definition, section.key, "multiple", "哪里不满意？")
    change(definition, choice.key, **{"opt-new-zh_Hans": "噪音", "action": "add-option"})
    change(definition, choice.key, **{"opt-new-zh_Hans": "围挡", "action": "add-option"})
    change(definition, choice.key, action="option-remove:o5")
    change(definition, choice.key, **{"opt-new-zh_Hans": "工期", "action": "add-option"})
    assert [o.key for o in (definition.question(choice.key) or Question("", Kind.SINGLE)).options] == [
        "o6",
        "o7",
    ]  # o5 is not given again


def test_options_are_added_moved_and_removed_and_the_words_kept() -> None:
    definition = sample_definition()
    q = change(
        definition, "q1", action="option-down:o1", **{"opt-o2-zh_Hant": "僑英街道", "opt-o2-en": "Qiaoying"}
    )
    assert [o.key for o in q.options] == ["o2", "o1", "o3"]
    assert q.options[0].text == {"zh_Hans": "侨英街道", "zh_Hant": "僑英街道", "en": "Qiaoying"}
    q = change(definition, "q1", action="option-up:o3")
    assert [o.key for o in q.options] == ["o2", "o3", "o1"] and q.options[1].other
    q = change(
        definition, "q1", **{"action": "add-option", "opt-new-zh_Hans": "杏林街道", "opt-new-en": "Xinglin"}
    )
    assert q.options[-1].key == "o21" and q.options[-1].text["en"] == "Xinglin"
    q = change(definition, "q1", action="option-remove:o21")
    assert [o.key for o in q.options] == ["o2", "o3", "o1"]


def test_a_matrix_has_a_scale_and_rows() -> None:
    definition = sample_definition()
    q = change(definition, "q8", **{"action": "add-row", "row-new-zh_Hans": "卫生"})
    assert [r.text["zh_Hans"] for r in q.rows] == ["绿化", "照明", "卫生"]
    q = change(definition, "q8", action="row-up:r21")
    assert [r.key for r in q.rows] == ["r1", "r21", "r2"]
    errors = refused(change, definition, "q8", **{"opt-o1-other": "on"})
    assert errors["options"] == "A matrix's scale has no “other, please say”."


def test_sections_move_and_an_empty_one_is_deleted() -> None:
    definition = sample_definition()
    # s2's condition looks at q1 in s1: it cannot go first
    assert "earlier question" in refused(building.move_section, definition, "s2", -1)["form"]
    assert "earlier question" in refused(building.move_section, definition, "s1", 1)["form"]
    assert [s.key for s in definition.sections] == ["s1", "s2", "s3"]
    assert refused(building.move_section, definition, "s1", -1)["form"].startswith("This form")
    building.move_section(definition, "s3", -1)
    assert [s.key for s in definition.sections] == ["s1", "s3", "s2"]
    empty = building.add_section(definition)
    building.delete_section(definition, empty.key)
    assert (
        refused(building.delete_section, definition, "s3")["form"]
        == "Move or delete the section's questions first."
    )


def test_a_question_moves_within_and_between_sections() -> None:
    definition = sample_definition()
    building.move_question(definition, "q6", -1)
    assert [q.key for q in definition.sections[2].questions][:2] == ["q6", "q5"]
    building.move_question(definition, "q6", -1)  # from the top of s3 to the end of s2
    assert [q.key for q in definition.sections[1].questions] == ["q2", "q3", "q4", "q6"]
    building.move_question_to(definition, "q6", "s3")
    assert definition.sections[2].questions[-1].key == "q6"


def test_conditions_stay_on_earlier_questions() -> None:
    definition = sample_definition()
    before = definition.to_json()
    # q4 depends on q3 and q3 on q2: neither may pass the other
    assert "earlier question" in refused(building.move_question, definition, "q3", 1)["form"]
    assert "earlier question" in refused(building.move_question, definition, "q4", -1)["form"]
    assert "earlier question" in refused(building.move_question_to, definition, "q1", "s3")["move_to"]
    # a condition may not name a later question, a forged one, or an option of another question
    errors = refused(change, definition, "q2", cond_question="q5", cond_op="between", cond_low="1")
    assert (
        errors["cond_question"]
        == "A condition can only look at an earlier choice, rating or number question."
    )
    errors = refused(change, definition, "q2", cond_question="q99", cond_op="equals")
    assert "cond_question" in errors
    errors = refused(change, definition, "q4", cond_question="q3", cond_op="includes", cond_option="q1:o1")
    assert errors["cond_option"] == "Choose one of the options of the question the condition looks at."
    errors = refused(change, definition, "q4", cond_question="q3", cond_op="equals", cond_option="q3:o1")
    assert errors["cond_op"].startswith("Choose how the answer is compared")
    errors = refused(
        change, definition, "q3", cond_question="q2", cond_op="between", cond_low="4", cond_high="2"
    )
    assert errors["cond_high"] == "The highest number must not be below the lowest."
    # what conditions look at cannot be removed
    assert "“Q3. 哪里不满意？” looks at this" in refused(building.delete_question, definition, "q2")["form"]
    assert "looks at this" in refused(change, definition, "q1", action="option-remove:o1")["form"]
    assert definition.to_json() == before
    # and a good condition is kept
    q = change(definition, "q5", cond_question="q2", cond_op="between", cond_low="4", cond_high="")
    assert q.condition == Condition(question="q2", op=Op.BETWEEN, low=4)


def test_a_section_condition_looks_only_at_earlier_sections() -> None:
    definition = sample_definition()
    form = {
        "title_zh_Hans": "其他",
        "title_en": "Other",
        "cond_question": "q5",
        "cond_op": "between",
        "cond_low": "9",
    }
    assert "cond_question" in refused(building.change_section, definition, "s3", form)
    section = building.change_section(
        definition, "s3", {**form, "cond_question": "q2", "cond_low": "3", "cond_high": "5"}
    )
    assert section.title == {"zh_Hans": "其他", "en": "Other"}
    assert section.condition == Condition(question="q2", op=Op.BETWEEN, low=3, high=5)
    building.change_section(definition, "s3", {"title_zh_Hans": "其他"})
    assert (definition.section("s3") or Section("")).condition is None


def test_question_words_and_numbers_are_checked() -> None:
    definition = sample_definition()
    before = definition.to_json()
    errors = refused(
        change, definition, "q1", text_zh_Hans="", **{"opt-o2-zh_Hans": "", "opt-o1-en": "x" * 201}
    )
    assert errors["text_zh_Hans"] == "Write the question in Simplified Chinese."
    assert errors["opt-o2-zh_Hans"] == "Write the words in Simplified Chinese, or remove it."
    assert errors["opt-o1-en"] == "This is too long: at most 200 characters."
    errors = refused(change, definition, "q1", **{"opt-o1-other": "on"})
    assert errors["options"] == "Only one option can be “other, please say”."
    errors = refused(change, definition, "q1", **{"opt-keys": ["o1", "o2", "o3", "o4"]})
    assert errors["form"].startswith("This form does not match the survey")
    errors = refused(change, definition, "q3", max_choices="5")
    assert errors["max_choices"].startswith("Enter a whole number from 1 to 4")
    errors = refused(change, definition, "q6", low="abc", high="5")
    assert errors["low"] == "Enter a number, such as 3 or 2.5."
    errors = refused(change, definition, "q6", low="9", high="5")
    assert errors["high"] == "The highest number must not be below the lowest."
    errors = refused(change, definition, "q1", action="add-option")
    assert errors["opt-new-zh_Hans"] == "Write the new words in Simplified Chinese, then add them."
    errors = refused(change, definition, "q1", text_zh_Hans="长" * 100_000)
    assert errors["text_zh_Hans"] == "This is too long: at most 500 characters."
    assert definition.to_json() == before
    q = change(definition, "q6", low="0", high="130", unit_zh_Hans="岁", unit_en="years", personal="on")
    assert (q.low, q.high, q.unit, q.personal) == (0, 130, {"zh_Hans": "岁", "en": "years"}, True)
    assert (
        refused(building.add_question, definition, "s1", "essay")["kind-s1"] == "Choose the kind of question."
    )


# --- settings, life and versions (with the database) ---------------------------------------------


def surveys_audited(db: Session) -> list[str]:
    entries = db.exec(select(AuditEntry).order_by(col(AuditEntry.id)))
    return [e.action for e in entries if e.action.startswith("survey-")]


def settings(**changes: Any) -> SettingsInput:
    raw = SettingsInput(
        slug="ebike-2026",
        texts={
            "title_zh_Hans": "电动自行车专项整治问卷",
            "intro_zh_Hans": "请告诉我们。",
            "thanks_zh_Hans": "谢谢！",
        },
    )
    for key, value in changes.items():
        if key.startswith(("title_", "intro_", "thanks_")):
            raw.texts[key] = value
        else:
            setattr(raw, key, value)
    return raw


def test_settings_are_checked_field_by_field(db: Session) -> None:
    user = press_user(db)
    open_survey(db)
    errors = refused(building.save_settings, db, user, None, settings(slug="shili-changdi-manyidu", title_zh_Hans="",
                     min_responses="1001", opens_at="2026-12-01 09:00", closes_at="2026-11-01 09:00"), address="t")  # fmt: skip
    assert errors["slug"].startswith("The address /surveys/shili-changdi-manyidu is already used")
    assert errors["title_zh_Hans"] == "Enter the title in Simplified Chinese: every survey has one."
    assert errors["min_responses"] == "Enter a whole number from 1 to 1000."
    assert errors["closes_at"] == "The survey must close after it opens."
    assert refused(building.save_settings, db, user, None, settings(project="999999"), address="t")["project"]
    bad = refused(building.save_settings, db, user, None, settings(slug="-bad-"), address="t")
    assert bad["slug"].startswith("The short name")
    db.rollback()
    assert len(db.exec(select(Survey)).all()) == 1

    survey = building.save_settings(db, user, None, settings(opens_at="", min_responses="12", results_public=True),
                                    address="test")  # fmt: skip
    db.commit()
    assert (survey.version, survey.min_responses, survey.results_public, survey.opens_at) == (
        1,
        12,
        True,
        None,
    )
    assert service.definition_of(db, survey).sections == []
    saved = SettingsInput.from_survey(survey)
    assert saved.text("title_zh_Hans") == "电动自行车专项整治问卷" and saved.min_responses == "12"


def test_times_are_the_districts(db: Session) -> None:
    moment = building.parse_local_time("2026-12-01T09:30")
    assert moment is not None and moment.hour == 1 and moment.minute == 30  # Beijing is UTC+8
    assert building.local_time(moment) == "2026-12-01T09:30"
    assert building.parse_local_time("2026-02-30 09:30") is None


def test_open_close_hide_and_the_address_stays(db: Session) -> None:
    user = press_user(db)
    survey = open_survey(db, opens_at=None, closes_at=None)
    now = utcnow()
    building.change_life(db, user, survey, "open", address="t", now=now)
    assert service.state_of(survey, now) == SurveyState.OPEN
    errors = refused(building.save_settings, db, user, survey, settings(slug="another"), address="t")
    assert errors["slug"].startswith("A survey that has been opened keeps its address")
    assert errors["opens_at"] == "A survey that has opened keeps its opening date: close it instead."
    building.change_life(db, user, survey, "hide", address="t")
    assert survey.hidden and service.state_of(survey) == SurveyState.CLOSED
    assert refused(building.change_life, db, user, survey, "reopen", address="t")["life"] == (
        "Show the survey again before opening it."
    )
    building.change_life(db, user, survey, "unhide", address="t")
    building.change_life(db, user, survey, "reopen", address="t")
    assert service.is_open(survey)
    assert refused(building.change_life, db, user, survey, "open", address="t")["life"].startswith(
        "This form"
    )
    db.commit()
    assert surveys_audited(db) == ["survey-open", "survey-hide", "survey-unhide", "survey-reopen"]


def test_an_answered_survey_is_not_deleted_and_changes_make_versions(db: Session) -> None:
    user = press_user(db)
    survey = open_survey(db)
    version = service.version_row(db, survey)
    service.submit(db, survey, version, {"q1": Answer(options=["o2"])}, "someone")
    assert "cannot be deleted" in refused(building.delete, db, user, survey, address="t")["life"]

    def reword(definition: Definition) -> None:
        (definition.question("q1") or Question("", Kind.SINGLE)).text = hans("您住在集美区哪个街道？")

    assert building.change_definition(db, user, survey, reword, address="t") == building.Changed(False, 1)

    def add(definition: Definition) -> None:
        building.add_question(definition, "s3", "short_text", "还有什么想说的？")

    changed = building.change_definition(db, user, survey, add, address="t")
    assert changed == building.Changed(True, 2)
    db.commit()
    assert [v.number for v in service.versions(db, survey)] == [1, 2]
    assert service.definition_of(db, survey, 1).question("q21") is None
    assert surveys_audited(db) == ["survey-questions", "survey-version"]
