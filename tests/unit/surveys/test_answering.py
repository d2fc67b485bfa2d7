"""Drafts, the way through the sections and the values a section's form shows again."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from portal.db import utcnow
from portal.surveys import answering
from portal.surveys.definition import Answer
from portal.surveys.forms import read_section
from portal.surveys.models import SurveyDraft
from tests.unit.surveys.survey_data import open_survey, sample_definition


def test_only_shown_sections_are_counted_and_walked() -> None:
    definition = sample_definition()
    s1, s2, s3 = definition.sections
    elsewhere = {"q1": Answer(options=["o2"])}
    assert answering.position(definition, elsewhere, s3) == (2, 2)
    assert answering.section_after(definition, elsewhere, s1) is s3
    assert answering.section_before(definition, elsewhere, s3) is s1
    jimei = {"q1": Answer(options=["o1"])}
    assert answering.position(definition, jimei, s3) == (3, 3)
    assert answering.section_after(definition, jimei, s1) is s2
    assert answering.section_after(definition, jimei, s3) is None
    # A section the answers do not show is never the current one (a forged "section" field).
    assert answering.current_section(definition, elsewhere, "s2") is s1


def test_a_section_form_is_filled_again_from_the_answers_it_gave() -> None:
    definition = sample_definition()
    s1, _s2, s3 = definition.sections
    posted = {
        "q-q5": ["9"], "q-q6": ["68"], "q-q7": ["2026-11-01"], "q-q8-r1": ["o3"], "q-q9": ["老王"], "q-q10": ["o2"],
    }  # fmt: skip
    read = read_section(definition, s3, posted, {"q1": Answer(options=["o2"])})
    assert not read.errors
    assert answering.form_values(s3, read.answers) == posted
    other = read_section(definition, s1, {"q-q1": ["o3"], "q-q1-other": ["灌口镇"]}, {})
    assert answering.form_values(s1, other.answers) == {"q-q1": ["o3"], "q-q1-other": ["灌口镇"]}
    # What was typed with a mistake wins over what is stored, for its own section only.
    typed = {"q-q6": ["两百"]}
    assert answering.section_values(s3, read.answers, typed) == typed
    assert answering.section_values(s1, other.answers, typed) == {"q-q1": ["o3"], "q-q1-other": ["灌口镇"]}


def test_an_intro_is_plain_paragraphs() -> None:
    assert answering.paragraphs("第一段\n第二行\r\n\r\n  第二段 <b>x</b>  \n\n\n") == [
        "第一段\n第二行",
        "第二段 <b>x</b>",
    ]
    assert answering.paragraphs("   ") == []


def test_drafts_keep_answers_and_typed_values_and_are_forgotten_after_a_month(db: Session) -> None:
    survey = open_survey(db)
    browser = answering.draft_key("secret", "a-browser-token-of-some-length")
    assert browser != answering.draft_key("other secret", "a-browser-token-of-some-length")
    answering.save_draft(db, survey, browser, {"q1": Answer(options=["o1"])}, "s3", typed={"q-q6": ["两百"]})
    draft = answering.find_draft(db, survey, browser)
    assert draft is not None and draft.section == "s3"
    answers, typed = answering.draft_contents(draft)
    assert answers == {"q1": Answer(options=["o1"])} and typed == {"q-q6": ["两百"]}
    answering.save_draft(db, survey, browser, answers, "s3")
    assert answering.draft_contents(answering.find_draft(db, survey, browser))[1] == {}
    other = answering.draft_key("secret", "another-browser-token-here")
    answering.save_draft(db, survey, other, {}, "s1")
    old = db.exec(select(SurveyDraft).where(SurveyDraft.browser == other)).one()
    old.updated_at = utcnow() - timedelta(days=31)
    db.add(old)
    db.commit()
    assert answering.find_draft(db, survey, other) is None
    assert answering.delete_old_drafts(db) == 1
    db.commit()
    assert [d.browser for d in db.exec(select(SurveyDraft))] == [browser]
