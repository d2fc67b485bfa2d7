"""Each kind of question read from a posted form and checked; what a section refuses."""

from __future__ import annotations

from portal.surveys.definition import Answer
from portal.surveys.forms import missing, read_section
from tests.unit.surveys.survey_data import sample_definition


def section_read(key: str, form: dict[str, list[str]], earlier: dict[str, Answer] | None = None):  # type: ignore[no-untyped-def]
    definition = sample_definition()
    section = definition.section(key)
    assert section is not None
    return read_section(definition, section, form, earlier or {})


def errors_of(
    key: str, form: dict[str, list[str]], earlier: dict[str, Answer] | None = None
) -> dict[str, str]:
    return section_read(key, form, earlier).errors.messages


def test_a_single_choice() -> None:
    assert errors_of("s1", {}) == {"q-q1": "Answer this question."}
    assert errors_of("s1", {"q-q1": ["o9"]}) == {"q-q1": "Choose one of the options shown."}
    assert errors_of("s1", {"q-q1": ["o1", "o2"]}) == {"q-q1": "Choose one of the options shown."}
    assert errors_of("s1", {"q-q1": ["o3"]}) == {"q-q1-other": "Say in a few words what “other” is."}
    assert errors_of("s1", {"q-q1": ["o3"], "q-q1-other": ["x" * 201]}) == {
        "q-q1-other": "Keep “other” under %(count)s characters."
    }
    read = section_read("s1", {"q-q1": ["o3"], "q-q1-other": [" 杏林街道 "]})
    assert not read.errors and read.answers["q1"] == Answer(options=["o3"], other="杏林街道")


def test_a_rating_and_a_multiple_choice_with_its_maximum_and_condition() -> None:
    earlier = {"q1": Answer(options=["o1"])}
    assert errors_of("s2", {"q-q2": ["6"]}, earlier) == {"q-q2": "Choose a number from %(low)s to %(high)s."}
    assert errors_of("s2", {"q-q2": ["２"]}, earlier) == {"q-q3": "Answer this question."}
    assert errors_of("s2", {"q-q2": ["2"], "q-q3": ["o1", "o2", "o3"]}, earlier) == {
        "q-q3": "Choose at most %(count)s options."
    }
    read = section_read("s2", {"q-q2": ["2"], "q-q3": ["o1", "o1", "o2"], "q-q4": ["晚上"]}, earlier)
    assert not read.errors
    assert read.answers["q3"].options == ["o1", "o2"] and read.answers["q4"].text == "晚上"


def test_an_answer_to_a_hidden_question_is_refused_not_kept() -> None:
    earlier = {"q1": Answer(options=["o1"])}
    # A good rating hides the reasons: an answer to them sent anyway is an error, not a stored answer.
    read = section_read("s2", {"q-q2": ["5"], "q-q3": ["o1"]}, earlier)
    assert read.errors.messages == {"q-q3": read.errors.messages["q-q3"]}
    assert "does not apply" in read.errors.messages["q-q3"]
    # A hidden question is never required.
    assert errors_of("s2", {"q-q2": ["5"]}, earlier) == {}


def test_numbers_dates_texts_and_a_matrix() -> None:
    assert errors_of("s3", {"q-q6": ["9"]}) == {"q-q6": "Enter a number from %(low)s to %(high)s."}
    assert errors_of("s3", {"q-q6": ["abc"]}) == {"q-q6": "Enter a number, like 12 or 3.5."}
    assert errors_of("s3", {"q-q6": ["1e3"]}) == {"q-q6": "Enter a number, like 12 or 3.5."}
    assert errors_of("s3", {"q-q7": ["2026-02-30"]}) == {
        "q-q7": "Enter a date as year-month-day, like 2026-12-01."
    }
    assert errors_of("s3", {"q-q7": ["0001-01-01"]}) == {
        "q-q7": "Enter a date between the years %(first)s and %(last)s."
    }
    from portal.surveys.definition import Kind, Question
    from portal.surveys.forms import read_question
    from portal.tickets.forms import FormErrors

    zero = read_question(Question(key="x", kind=Kind.NUMBER), {"q-x": ["-0"]}, FormErrors())
    assert str(zero.number) == "0.0"  # never shown as −0
    assert errors_of("s3", {"q-q5": ["11"]}) == {"q-q5": "Choose a number from %(low)s to %(high)s."}
    assert errors_of("s3", {"q-q9": ["x" * 100_000]}) == {
        "q-q9": "Keep your answer under %(count)s characters (it has %(length)s)."
    }
    assert errors_of("s3", {"q-q8-r1": ["o9"]}) == {"q-q8": "Choose one of the options shown."}
    assert errors_of("s3", {"q-q10": ["o4"]}) == {"q-q10": "Choose one of the options shown."}
    read = section_read(
        "s3",
        {
            "q-q5": ["9"],
            "q-q6": ["６８"],
            "q-q7": ["2026-11-01"],
            "q-q8-r1": ["o3"],
            "q-q9": ["王"],
            "q-q10": ["o2"],
        },
    )
    assert not read.errors
    assert read.answers["q6"].number == 68 and read.answers["q7"].text == "2026-11-01"
    assert read.answers["q8"].rows == {"r1": "o3"} and read.answers["q5"].number == 9


def test_what_was_typed_is_kept_to_show_again_even_when_refused() -> None:
    read = section_read("s3", {"q-q6": ["九十"], "q-q9": ["王"], "unrelated": ["x"]})
    assert read.errors
    assert read.typed == {"q-q6": ["九十"], "q-q9": ["王"]}


def test_missing_names_shown_required_questions_only() -> None:
    definition = sample_definition()
    assert [q.key for q in missing(definition, {})] == ["q1"]
    assert [q.key for q in missing(definition, {"q1": Answer(options=["o1"])})] == ["q2"]
    answers = {"q1": Answer(options=["o1"]), "q2": Answer(number=1)}
    assert [q.key for q in missing(definition, answers)] == ["q3"]
