"""Conditions (with chains), what is shown and kept, the builder's checks, wording versus structure."""

from __future__ import annotations

import copy

from portal.surveys.definition import Answer, Condition, Definition, Op, kept, problems, shown
from tests.unit.surveys.survey_data import hans, sample_definition


def test_a_definition_survives_its_json() -> None:
    definition = sample_definition()
    again = Definition.from_json(definition.to_json())
    assert again.to_json() == definition.to_json()
    assert again.question("q8") is not None and [r.key for r in again.question("q8").rows] == ["r1", "r2"]  # type: ignore[union-attr]


def test_a_section_shows_only_when_its_condition_holds() -> None:
    definition = sample_definition()
    assert shown(definition, {}).sections == ["s1", "s3"]
    assert shown(definition, {"q1": Answer(options=["o2"])}).sections == ["s1", "s3"]
    assert shown(definition, {"q1": Answer(options=["o1"])}).sections == ["s1", "s2", "s3"]


def test_a_chain_of_conditions_hides_together() -> None:
    definition = sample_definition()
    answers = {
        "q1": Answer(options=["o1"]),
        "q2": Answer(number=1),
        "q3": Answer(options=["o1"]),
        "q4": Answer(text="晚上十点以后"),
    }
    assert {"q2", "q3", "q4"} <= shown(definition, answers).questions
    # A good rating hides the reasons, and with them the question that hangs on a reason.
    answers["q2"] = Answer(number=5)
    visible = shown(definition, answers).questions
    assert "q3" not in visible and "q4" not in visible
    assert set(kept(definition, answers)) == {"q1", "q2"}
    # Living elsewhere hides the whole section: its answers are not kept either.
    answers["q1"] = Answer(options=["o2"])
    assert set(kept(definition, answers)) == {"q1"}


def test_the_operators() -> None:
    definition = sample_definition()
    q1 = definition.question("q1")
    assert q1 is not None
    seen = {"q1", "q3", "q2"}
    chosen = {"q1": Answer(options=["o2"]), "q3": Answer(options=["o1", "o3"]), "q2": Answer(number=3)}
    from portal.surveys.definition import holds

    assert holds(Condition("q1", Op.EQUALS, "o2"), chosen, seen)
    assert not holds(Condition("q1", Op.EQUALS, "o1"), chosen, seen)
    assert holds(Condition("q1", Op.DIFFERS, "o1"), chosen, seen)
    assert holds(Condition("q3", Op.INCLUDES, "o3"), chosen, seen)
    assert not holds(Condition("q3", Op.EXCLUDES, "o3"), chosen, seen)
    assert holds(Condition("q3", Op.EXCLUDES, "o2"), chosen, seen)
    assert holds(Condition("q2", Op.BETWEEN, low=3, high=3), chosen, seen)
    assert not holds(Condition("q2", Op.BETWEEN, low=4), chosen, seen)
    # Unanswered or hidden: no condition holds, not even "differs".
    assert not holds(Condition("q1", Op.DIFFERS, "o1"), {}, seen)
    assert not holds(Condition("q1", Op.EQUALS, "o2"), chosen, {"q3"})


def test_the_builder_is_told_what_stops_a_survey_opening() -> None:
    assert problems(sample_definition()) == []
    assert [m for _, m, _ in problems(Definition())] == ["Add at least one question."]
    broken = sample_definition()
    q3 = broken.question("q3")
    assert q3 is not None
    q3.condition = Condition("q5", Op.BETWEEN, low=1)  # a later question
    q5 = broken.question("q5")
    assert q5 is not None
    q5.condition = Condition("q1", Op.INCLUDES, "o1")  # "includes" is for multiple choices
    q10 = broken.question("q10")
    assert q10 is not None
    q10.condition = Condition("q1", Op.EQUALS, "o9")  # no such option
    q10.options = q10.options[:1]
    found = {(where, message) for where, message, _ in problems(broken)}
    assert ("q3", "A condition can only look at an earlier question.") in found
    assert ("q5", "That kind of condition does not fit the question it looks at.") in found
    assert ("q10", "The condition names an option the question does not have.") in found
    assert ("q10", "Give at least two options.") in found


def test_wording_is_not_structure() -> None:
    definition = sample_definition()
    worded = copy.deepcopy(definition)
    q1 = worded.question("q1")
    assert q1 is not None
    q1.text = hans("您住在集美区哪个街道？")
    q1.options[0].text = {"zh_Hans": "集美街道", "en": "Jimei Subdistrict"}
    worded.sections[0].title = hans("您")
    assert worded.structure() == definition.structure()
    q1.required = False
    assert worded.structure() != definition.structure()
    units = copy.deepcopy(definition)
    q6 = units.question("q6")
    assert q6 is not None
    q6.unit = hans("月")  # the age in months: not a wording fix
    assert units.structure() != definition.structure()
    reordered = copy.deepcopy(definition)
    reordered.sections[2].questions.reverse()
    assert reordered.structure() != definition.structure()


def test_keys_are_never_given_twice() -> None:
    definition = sample_definition()
    first = definition.new_key("q")
    definition.sections[0].questions.clear()
    assert definition.new_key("q") != first


def test_numbers_are_shown_as_a_number_field_takes_them() -> None:
    from portal.surveys.definition import plain_number

    assert [plain_number(v) for v in (1e6, 2.5, 70.0, -0.25, None)] == ["1000000", "2.5", "70", "-0.25", ""]
