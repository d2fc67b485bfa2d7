"""Residents answer a survey section by section: conditions applied on the server, drafts that
resume, one response per browser or per confirmed phone, and every bad input refused with a clear
message and nothing stored."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from portal.db import utcnow
from portal.security import sign_value
from portal.services import Services
from portal.surveys import service
from portal.surveys.definition import Definition, Kind, Question, Section
from portal.surveys.models import Audience, Survey, SurveyAnswer, SurveyDraft, SurveyResponse
from portal.tickets import confirm
from tests.pages import PageClient
from tests.unit.surveys.survey_data import hans, open_survey, options, sample_definition

SLUG = "shili-changdi-manyidu"
HTMX = {"HX-Request": "true"}
PHONE = "13912345678"
CODE_IN_SMS = re.compile(r"(?<!\d)(\d{6})(?!\d)")
NOTE = re.compile(r'name="note" value="([^"]+)"')


def send(
    client: PageClient,
    section: str,
    shown: tuple[str, ...],
    go: str = "next",
    slug: str = SLUG,
    **fields: Any,
) -> Any:
    data: dict[str, Any] = {"_csrf_token": client.csrf(), "section": section, "go": go, "shown": list(shown)}
    data.update({k.replace("_", "-"): v for k, v in fields.items()})
    return client.post(f"/surveys/{slug}", data=data, follow_redirects=False)


def responses(db: Session) -> list[SurveyResponse]:
    db.expire_all()
    return list(db.exec(select(SurveyResponse)))


def answer_rows(db: Session) -> list[SurveyAnswer]:
    db.expire_all()
    return list(db.exec(select(SurveyAnswer)))


def drafts(db: Session) -> list[SurveyDraft]:
    db.expire_all()
    return list(db.exec(select(SurveyDraft)))


def nothing_stored(db: Session) -> bool:
    return not responses(db) and not answer_rows(db)


def answer_s3(client: PageClient) -> Any:
    return send(
        client, "s3", ("q5", "q6", "q7", "q8", "q9", "q10"),
        q_q5="9", q_q6="68", q_q7="2026-11-01", q_q8_r1="o3", q_q8_r2="o2", q_q9="", q_q10="o1",
    )  # fmt: skip


def answer_all(client: PageClient) -> Any:
    assert send(client, "s1", ("q1",), q_q1="o1").status_code == 303
    assert send(client, "s2", ("q2",), q_q2="4").status_code == 303
    return answer_s3(client)


# --- the list --------------------------------------------------------------------------------------


def test_the_list_shows_open_surveys_and_closed_ones_with_public_results(
    client: PageClient, db: Session
) -> None:
    now = utcnow()
    open_survey(db)
    open_survey(db, slug="later", title_zh_hans="还没开始的问卷", opens_at=now + timedelta(days=2))
    open_survey(
        db,
        slug="done",
        title_zh_hans="已结束公开结果",
        opens_at=now - timedelta(days=9),
        closes_at=now - timedelta(days=1),
    )
    open_survey(
        db, slug="done-private", title_zh_hans="已结束不公开", results_public=False,
        opens_at=now - timedelta(days=9), closes_at=now - timedelta(days=1),
    )  # fmt: skip
    open_survey(db, slug="hidden", title_zh_hans="隐藏的问卷", hidden=True)
    open_survey(db, slug="unopened", title_zh_hans="草稿问卷", opens_at=None)
    page = client.get("/surveys")
    assert page.status_code == 200
    assert f'href="/surveys/{SLUG}"' in page.text and "十里长堤工程满意度调查" in page.text
    assert 'href="/surveys/done/results"' in page.text and "已结束公开结果" in page.text
    for absent in ("还没开始的问卷", "已结束不公开", "隐藏的问卷", "草稿问卷"):
        assert absent not in page.text
    assert "Not translated yet: shown in Chinese" in page.text  # English reader, Chinese titles
    assert 'href="/surveys"' in client.get("/").text  # the home page's entry


def test_hidden_unopened_and_unknown_surveys_are_not_found(client: PageClient, db: Session) -> None:
    open_survey(db, slug="hidden", hidden=True)
    open_survey(db, slug="unopened", opens_at=None)
    for slug in ("hidden", "unopened", "nothing-here"):
        assert client.get(f"/surveys/{slug}").status_code == 404
        assert send(client, "s1", ("q1",), slug=slug, q_q1="o1").status_code == 404


# --- the way through ---------------------------------------------------------------------------------


def test_sections_follow_the_answers_and_the_last_stores_the_response(
    client: PageClient, db: Session
) -> None:
    survey = open_survey(db, intro_zh_hans="第一段<b>不是HTML</b>\n\n第二段", thanks_zh_hans="谢谢您的参与！")
    first = client.get(f"/surveys/{SLUG}")
    assert first.status_code == 200 and first.headers["cache-control"] == "no-store"
    # Only the sections shown are counted: the second is for 集美街道 only.
    assert "Section 1 of 2" in first.text and 'id="q-q1"' in first.text and "<legend>" in first.text
    assert "<p>第一段&lt;b&gt;不是HTML&lt;/b&gt;</p>" in first.text and "<p>第二段</p>" in first.text
    assert "survey_browser" in client.cookies
    went = send(client, "s1", ("q1",), q_q1="o1")
    assert went.status_code == 303 and went.headers["location"] == f"/surveys/{SLUG}?s=s2"
    second = client.get(went.headers["location"])
    assert "Section 2 of 3" in second.text and "十里长堤" in second.text and 'name="q-q2"' in second.text
    assert "You started this survey" not in second.text
    assert 'id="qw-q3"' in second.text and 'name="q-q3"' not in second.text  # hidden until a low rating
    assert send(client, "s2", ("q2",), q_q2="4").status_code == 303
    third = client.get(f"/surveys/{SLUG}?s=s3")
    assert "Section 3 of 3" in third.text and "Send my answers" in third.text and ">Back<" in third.text
    assert 'inputmode="numeric"' in third.text and 'type="date"' in third.text and "岁" in third.text
    done = answer_s3(client)
    assert done.status_code == 303 and done.headers["location"] == f"/surveys/{SLUG}/thanks"
    thanks = client.get(done.headers["location"])
    assert "谢谢您的参与！" in thanks.text and f'href="/surveys/{SLUG}/results"' in thanks.text
    [response] = responses(db)
    assert response.survey_id == survey.id and len(response.respondent) == 64
    stored = {(a.question, a.row, a.option, a.number, a.text) for a in answer_rows(db)}
    assert ("q1", "", "o1", None, "") in stored and ("q2", "", "", 4.0, "") in stored
    assert ("q8", "r1", "o3", None, "") in stored and ("q7", "", "", None, "2026-11-01") in stored
    assert not drafts(db)


def test_a_section_its_condition_does_not_open_is_skipped_and_not_counted(
    client: PageClient, db: Session
) -> None:
    open_survey(db)
    went = send(client, "s1", ("q1",), q_q1="o2")
    assert went.headers["location"] == f"/surveys/{SLUG}?s=s3"
    page = client.get(went.headers["location"])
    assert "Section 2 of 2" in page.text and 'name="q-q5"' in page.text
    back = send(client, "s3", ("q5",), go="back", q_q5="7")
    assert back.headers["location"] == f"/surveys/{SLUG}?s=s1"
    again = client.get(back.headers["location"])
    assert "Section 1 of 2" in again.text and 'value="o2" checked' in again.text
    forward = client.get(f"/surveys/{SLUG}")
    assert "Section 1 of 2" in forward.text


def test_without_javascript_a_section_that_opens_questions_comes_back_with_them(
    client: PageClient, db: Session
) -> None:
    open_survey(db)
    send(client, "s1", ("q1",), q_q1="o1")
    opened = send(client, "s2", ("q2",), q_q2="1")
    assert opened.status_code == 200
    assert "Your answers opened more questions in this section" in opened.text
    assert 'name="q-q3"' in opened.text and 'value="1" checked' in opened.text
    assert "Answer this question" not in opened.text  # the new question was not on the page yet
    chained = send(client, "s2", ("q2", "q3"), q_q2="1", q_q3=["o1", "o2"])
    assert (
        chained.status_code == 200 and 'name="q-q4"' in chained.text and 'value="o2" checked' in chained.text
    )
    went = send(client, "s2", ("q2", "q3", "q4"), q_q2="1", q_q3=["o1", "o2"], q_q4="晚上十点以后")
    assert went.status_code == 303
    changed = send(client, "s2", ("q2", "q3", "q4"), go="next", q_q2="5", q_q3=["o1"], q_q4="x")
    assert changed.status_code == 200 and "changed which questions apply" in changed.text
    assert 'name="q-q3"' not in changed.text
    assert nothing_stored(db)


def test_with_htmx_only_the_questions_that_appear_or_disappear_come_back(
    client: PageClient, db: Session
) -> None:
    open_survey(db)
    send(client, "s1", ("q1",), q_q1="o1")
    page = client.get(f"/surveys/{SLUG}")
    assert f'data-hx-post="/surveys/{SLUG}/live"' in page.text
    data = {"_csrf_token": client.csrf(), "section": "s2", "shown": ["q2"], "q-q2": "2"}
    live = client.post(f"/surveys/{SLUG}/live", data=data, headers=HTMX)
    assert live.status_code == 200
    assert (
        'id="qw-q3"' in live.text and 'data-hx-swap-oob="true"' in live.text and 'id="q-q3-o1"' in live.text
    )
    assert 'id="qw-q2"' not in live.text  # what the resident is touching stays as it is
    assert (
        "A question appeared below" in live.text and "Section 2 of 3" in live.text and ">Next<" in live.text
    )
    data = {"_csrf_token": client.csrf(), "section": "s2", "shown": ["q2", "q3"], "q-q2": "5"}
    gone = client.post(f"/surveys/{SLUG}/live", data=data, headers=HTMX)
    assert 'id="qw-q3"' in gone.text and 'name="q-q3"' not in gone.text and " hidden" in gone.text
    nothing = client.post(f"/surveys/{SLUG}/live", data={**data, "shown": ["q2"]}, headers=HTMX)
    assert "qw-" not in nothing.text
    assert nothing_stored(db) and len(drafts(db)) == 1


def test_a_half_answered_survey_resumes_in_the_same_browser_with_what_was_typed(
    client: PageClient, db: Session
) -> None:
    open_survey(db)
    send(client, "s1", ("q1",), q_q1="o2")
    wrong = send(client, "s3", ("q5", "q6"), q_q5="8", q_q6="两百")
    assert wrong.status_code == 422
    back = client.get(f"/surveys/{SLUG}")
    assert "You started this survey earlier" in back.text and "Section 2 of 2" in back.text
    assert 'value="两百"' in back.text and 'id="q-q5-8" name="q-q5" value="8" checked' in back.text
    restart = client.post(
        f"/surveys/{SLUG}/restart", data={"_csrf_token": client.csrf()}, follow_redirects=False
    )
    assert restart.status_code == 303 and not drafts(db)
    fresh = client.get(f"/surveys/{SLUG}")
    assert "Section 1 of 2" in fresh.text and "You started" not in fresh.text
    other = PageClient(app=client.app, base_url="http://portal.test")
    with other:
        assert "Section 1 of 2" in other.get(f"/surveys/{SLUG}").text


def test_a_second_response_from_the_same_browser_is_refused(client: PageClient, db: Session) -> None:
    open_survey(db)
    assert answer_all(client).status_code == 303
    page = client.get(f"/surveys/{SLUG}")
    assert "already answered this survey from this browser" in page.text and 'name="q-q1"' not in page.text
    again = send(client, "s1", ("q1",), q_q1="o2")
    assert again.status_code == 409 and "already answered" in again.text
    assert len(responses(db)) == 1


# --- bad input ---------------------------------------------------------------------------------------


def test_a_required_question_skipped_is_named_and_linked(client: PageClient, db: Session) -> None:
    open_survey(db)
    page = send(client, "s1", ("q1",))
    assert page.status_code == 422
    assert "<title>Error:" in page.text
    assert '<a href="#q-q1">您住在哪个街道: Answer this question.</a>' in page.text  # names its question
    assert 'id="q-q1-error"' in page.text and 'aria-describedby="q-q1-error"' in page.text
    assert nothing_stored(db)


def test_bad_answers_are_refused_with_a_clear_message_and_nothing_stored(
    client: PageClient, db: Session
) -> None:
    open_survey(db)
    forged = send(client, "s1", ("q1",), q_q1="o99")
    assert forged.status_code == 422 and "Choose one of the options shown." in forged.text
    other = send(client, "s1", ("q1",), q_q1="o3")
    assert other.status_code == 422 and "what “other” is" in other.text and 'href="#q-q1-other"' in other.text
    send(client, "s1", ("q1",), q_q1="o1")
    hidden = send(client, "s2", ("q2",), q_q2="5", q_q3="o1")
    assert hidden.status_code == 422 and "This question does not apply to your answers" in hidden.text
    send(client, "s2", ("q2",), q_q2="5")
    out_of_range = send(client, "s3", ("q5", "q6"), q_q5="11", q_q6="5")
    assert out_of_range.status_code == 422
    assert (
        "Choose a number from 0 to 10." in out_of_range.text
        and "Enter a number from 10 to 120." in out_of_range.text
    )
    huge = send(client, "s3", ("q9",), q_q9="长" * 100_000)
    assert huge.status_code == 422 and "Keep your answer under 200 characters (it has 100000)" in huge.text
    assert nothing_stored(db)


def test_skipping_a_section_by_a_forged_post_sends_the_resident_back_to_it(
    client: PageClient, db: Session
) -> None:
    open_survey(db)
    send(client, "s1", ("q1",), q_q1="o1")
    skipped = answer_s3(client)
    assert skipped.status_code == 422 and "A required question was not answered yet" in skipped.text
    assert 'name="q-q2"' in skipped.text and nothing_stored(db)


def test_surveys_not_open_yet_or_closed_take_no_answers(client: PageClient, db: Session) -> None:
    now = utcnow()
    open_survey(db, slug="later", opens_at=now + timedelta(days=2))
    open_survey(db, slug="done", opens_at=now - timedelta(days=9), closes_at=now - timedelta(days=1))
    later = client.get("/surveys/later")
    assert (
        later.status_code == 200 and "This survey opens on" in later.text and 'name="q-q1"' not in later.text
    )
    assert send(client, "s1", ("q1",), slug="later", q_q1="o1").status_code == 409
    done = client.get("/surveys/done")
    assert "This survey closed on" in done.text and 'href="/surveys/done/results"' in done.text
    refused = send(client, "s1", ("q1",), slug="done", q_q1="o2")
    assert refused.status_code == 409 and "closed" in refused.text
    assert nothing_stored(db) and not drafts(db)


def test_the_reader_language_is_used_and_missing_traditional_text_is_converted(
    client: PageClient, db: Session
) -> None:
    open_survey(db)
    page = client.get(f"/surveys/{SLUG}", headers={"Accept-Language": "zh-HK"})
    assert "您住在哪個街道" in page.text and "由簡體中文自動轉換" in page.text
    refused = client.post(
        f"/surveys/{SLUG}",
        data={"_csrf_token": client.csrf(), "section": "s1", "go": "next", "shown": ["q1"]},
        headers={"Accept-Language": "zh-CN"},
    )
    assert refused.status_code == 422 and "请回答这个问题。" in refused.text


def test_past_the_limit_an_address_is_told_when_to_send_again_and_its_answers_are_kept(
    client: PageClient, db: Session, services: Services
) -> None:
    tiny = Definition(
        sections=[
            Section(
                key="s1",
                questions=[
                    Question(key="q1", kind=Kind.SINGLE, options=options("好", "不好"), text=hans("好吗？"))
                ],
            )
        ],
        last_key=2,
    )
    open_survey(db, definition=tiny)
    limit = services.settings.rate_limits["survey_submit"]
    assert limit.count == 60 and limit.seconds == 3600  # neighbours behind one address get through
    with PageClient(app=client.app, base_url="http://portal.test", address="203.0.113.9") as shared:
        for _ in range(59):  # 59 neighbours answered from this address in the last hour
            services.limiter.hit("survey_submit", "203.0.113.9", limit)
        assert send(shared, "s1", ("q1",), q_q1="o1").status_code == 303
        shared.cookies.clear()  # the 61st neighbour
        refused = send(shared, "s1", ("q1",), q_q1="o2")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
        assert "Too many responses came from this network" in refused.text
        assert "Your answers are kept in this browser: send them again in 60 minutes." in refused.text
        assert 'value="o2" checked' in refused.text and "Send my answers" in refused.text  # the form
        assert "<h1" in refused.text and "好吗？" in refused.text
        assert 'value="o2" checked' in shared.get(f"/surveys/{SLUG}").text  # kept in this browser
    assert len(responses(db)) == 1


# --- phone-verified surveys ---------------------------------------------------------------------------


def start_phone(client: PageClient, phone: str = PHONE) -> Any:
    return client.post(f"/surveys/{SLUG}/phone", data={"phone": phone, "_csrf_token": client.csrf()})


def confirm_code(client: PageClient, note: str, code: str) -> Any:
    return client.post(
        f"/surveys/{SLUG}/confirm",
        data={"note": note, "code": code, "_csrf_token": client.csrf()},
        follow_redirects=False,
    )


def code_from(services: Services, phone: str = PHONE) -> str:
    found = CODE_IN_SMS.search(services.sms.to(phone)[-1])  # type: ignore[attr-defined]
    assert found
    return found.group(1)


def test_a_phone_survey_asks_for_a_confirmed_number_and_keeps_only_its_hash(
    client: PageClient, db: Session, services: Services
) -> None:
    survey = open_survey(db, audience=Audience.PHONE)
    page = client.get(f"/surveys/{SLUG}")
    assert 'name="phone"' in page.text and 'name="q-q1"' not in page.text
    assert send(client, "s1", ("q1",), q_q1="o1").headers["location"] == f"/surveys/{SLUG}"
    bad = start_phone(client, "12345")
    assert bad.status_code == 422 and "11-digit mainland mobile number" in bad.text
    sent = start_phone(client)
    assert "139****5678" in sent.text
    note = NOTE.search(sent.text)
    assert note
    wrong = confirm_code(client, note.group(1), "000000" if code_from(services) != "000000" else "111111")
    assert wrong.status_code == 422 and "That is not the code we sent" in wrong.text
    assert not drafts(db)
    expired = sign_value(
        services.settings.secret_key, confirm.NOTE, [PHONE, f"survey:{SLUG}", int(time.time()) - 1, "n"]
    )
    stale = confirm_code(client, expired, code_from(services))
    assert stale.status_code == 422 and "This code has expired" in stale.text
    assert confirm_code(client, note.group(1), code_from(services)).status_code == 303
    [draft] = drafts(db)
    respondent = draft.respondent
    assert respondent == service.phone_key(services.settings.secret_key, survey, PHONE)
    assert PHONE not in draft.answers and PHONE not in draft.browser
    assert 'name="q-q1"' in client.get(f"/surveys/{SLUG}").text
    assert answer_all(client).status_code == 303
    [response] = responses(db)
    assert response.respondent == respondent
    assert "are in" in client.get(f"/surveys/{SLUG}/thanks").text  # the browser that answered
    other = PageClient(app=client.app, base_url="http://portal.test")
    with other:
        assert other.get(f"/surveys/{SLUG}/thanks", follow_redirects=False).status_code == 303
        again = start_phone(other)
        told = confirm_code(other, NOTE.search(again.text).group(1), code_from(services))  # type: ignore[union-attr]
        assert told.status_code == 409 and "This phone number has already answered this survey" in told.text
    assert len(responses(db)) == 1


# --- the staff preview ---------------------------------------------------------------------------------


def test_the_preview_is_the_same_form_and_stores_nothing(client: PageClient, db: Session) -> None:
    survey = open_survey(db, opens_at=None)
    assert client.get(f"/staff/surveys/{survey.id}/preview", follow_redirects=False).status_code in (
        302,
        303,
        401,
    )
    signed = client.post(
        "/staff/login",
        data={
            "username": "press-writer",
            "password": "a long enough password",
            "next": "/staff",
            "_csrf_token": client.csrf(),
        },
        follow_redirects=False,
    )
    assert signed.status_code == 303
    first = client.get(f"/staff/surveys/{survey.id}/preview")
    assert (
        first.status_code == 200
        and "Preview — nothing is saved" in first.text
        and "Section 1 of 2" in first.text
    )
    assert f'data-hx-post="/staff/surveys/{survey.id}/preview/live"' in first.text
    data = {
        "_csrf_token": client.csrf(),
        "section": "s1",
        "go": "next",
        "shown": ["q1"],
        "q-q1": "o1",
        "carried": "{}",
    }
    second = client.post(f"/staff/surveys/{survey.id}/preview", data=data)
    assert "Section 2 of 3" in second.text and "Preview — nothing is saved" in second.text
    carried = re.search(r'name="carried" value="([^"]+)"', second.text)
    assert carried and "o1" in carried.group(1).replace("&#34;", '"')
    assert nothing_stored(db) and not drafts(db)
    assert db.exec(select(Survey).where(col(Survey.id) == survey.id)).one()


# --- found by the attack pass ----------------------------------------------------------------------------


def test_residents_sending_the_same_cookie_header_each_get_their_own_browser(
    client: PageClient, db: Session
) -> None:
    open_survey(db)
    same = {"Cookie": "elder=1; lang=zh-Hans"}  # parsed once and cached by the framework
    with PageClient(app=client.app, base_url="http://portal.test") as first:
        # The plain address leads on to the section reached, with the new browser's cookie.
        page = first.get(f"/surveys/{SLUG}", headers=same, follow_redirects=False)
        mine = page.cookies.get("survey_browser")
        assert page.status_code == 303 and mine
        first.cookies.set("survey_browser", mine, path="/surveys")
        assert send(first, "s1", ("q1",), q_q1="o3", q_q1_other="灌口镇").status_code == 303
    with PageClient(app=client.app, base_url="http://portal.test") as second:
        led = second.get(f"/surveys/{SLUG}", headers=same, follow_redirects=False)
        theirs = led.cookies.get("survey_browser")
        assert theirs and theirs != mine
        page = second.get(
            led.headers["location"], headers={"Cookie": f"elder=1; lang=zh-Hans; survey_browser={theirs}"}
        )
        assert (
            "灌口镇" not in page.text
            and "您之前开始" not in page.text
            and 'value="o3" checked' not in page.text
        )


def test_answers_a_new_version_no_longer_has_are_checked_again_before_anything_is_stored(
    client: PageClient, db: Session
) -> None:
    survey = open_survey(db)
    assert send(client, "s1", ("q1",), q_q1="o2").status_code == 303  # 侨英街道
    changed = sample_definition()
    changed.sections[0].questions[0].options = [
        o for o in changed.sections[0].questions[0].options if o.key != "o2"
    ]
    service.save_definition(db, survey, changed)
    db.commit()
    page = client.get(f"/surveys/{SLUG}?s=s3")
    assert "This survey changed while you were answering" in page.text and 'name="q-q1"' in page.text
    last = answer_s3(client)
    assert last.status_code == 422 and "This survey changed while you were answering" in last.text
    assert 'name="q-q1"' in last.text and "Choose one of the options shown." in last.text
    assert nothing_stored(db)
    assert send(client, "s1", ("q1",), q_q1="o1").status_code == 303
    assert send(client, "s2", ("q2",), q_q2="4").status_code == 303
    assert answer_s3(client).status_code == 303
    assert ("q1", "o1") in {(a.question, a.option) for a in answer_rows(db)}
    assert "o2" not in {a.option for a in answer_rows(db) if a.question == "q1"}


def test_the_live_route_of_a_survey_not_open_shows_no_questions(client: PageClient, db: Session) -> None:
    now = utcnow()
    open_survey(db, slug="later", opens_at=now + timedelta(days=2))
    open_survey(db, slug="done", opens_at=now - timedelta(days=9), closes_at=now - timedelta(days=1))
    for slug in ("later", "done"):
        data = {"_csrf_token": client.csrf(), "section": "s1", "shown": [], "q-q1": "o1"}
        live = client.post(f"/surveys/{slug}/live", data=data, headers=HTMX)
        assert live.status_code == 409 and "您住在哪个街道" not in live.text and "qw-" not in live.text


def test_an_out_of_date_section_changes_nothing_and_brings_the_resident_where_they_are(
    client: PageClient, db: Session
) -> None:
    open_survey(db)
    assert send(client, "s1", ("q1",), q_q1="o1").status_code == 303  # 集美街道: s2 next
    assert send(client, "s1", ("q1",), q_q1="o3", q_q1_other="灌口镇").status_code == 303  # s3 next
    before = [d.answers for d in drafts(db)]
    old = send(client, "s2", ("q2",), q_q2="4")  # the old s2 page, from the Back button
    assert old.status_code == 409 and "That page was out of date" in old.text
    assert "opened more questions" not in old.text and 'name="q-q5"' in old.text  # s3, where they are
    assert [d.answers for d in drafts(db)] == before and "灌口镇" in before[0]
    assert nothing_stored(db)


def test_a_matrix_row_with_two_answers_is_refused(client: PageClient, db: Session) -> None:
    open_survey(db)
    send(client, "s1", ("q1",), q_q1="o2")
    page = send(client, "s3", ("q5", "q8"), q_q5="9", q_q8_r1=["o1", "o2"], q_q8_r2="o2")
    assert page.status_code == 422 and "请为以下方面打分: Choose one of the options shown." in page.text
    assert nothing_stored(db)


def test_the_error_summary_names_each_question_and_links_only_to_fields_on_the_page(
    client: PageClient, db: Session
) -> None:
    open_survey(db)
    send(client, "s1", ("q1",), q_q1="o1")
    hidden = send(client, "s2", ("q2",), q_q2="5", q_q3="o1")
    assert "<li>哪里不满意: This question does not apply to your answers" in hidden.text
    assert 'href="#q-q3"' not in hidden.text  # not on the page: no link to nowhere
    zh = client.post(
        f"/surveys/{SLUG}",
        data={"_csrf_token": client.csrf(), "section": "s2", "go": "next", "shown": ["q2"]},
        headers={"Accept-Language": "zh-CN"},
    )
    assert '<a href="#q-q2">您对十里长堤的工程满意吗：请回答这个问题。</a>' in zh.text


def test_the_other_box_says_what_it_is_for_and_only_its_own_error_marks_it(
    client: PageClient, db: Session
) -> None:
    open_survey(db)
    page = send(client, "s1", ("q1",))
    assert "If other, please say" in page.text
    assert '<div class="survey-other field">' in page.text  # the group's error is not its own
    own = send(client, "s1", ("q1",), q_q1="o3")
    assert '<div class="survey-other field field--error">' in own.text


def test_the_thanks_are_only_for_the_browser_that_answered(client: PageClient, db: Session) -> None:
    open_survey(db)
    open_survey(db, slug="later", opens_at=utcnow() + timedelta(days=2))
    for slug in (SLUG, "later"):
        went = client.get(f"/surveys/{slug}/thanks", follow_redirects=False)
        assert went.status_code == 303 and went.headers["location"] == f"/surveys/{slug}"
    assert answer_all(client).status_code == 303
    assert "are in" in client.get(f"/surveys/{SLUG}/thanks").text
    with PageClient(app=client.app, base_url="http://portal.test") as other:
        assert other.get(f"/surveys/{SLUG}/thanks", follow_redirects=False).status_code == 303


def test_text_boxes_show_their_limit_and_do_not_cut_a_paste(client: PageClient, db: Session) -> None:
    open_survey(db)
    send(client, "s1", ("q1",), q_q1="o1")
    opened = send(client, "s2", ("q2", "q3"), q_q2="1", q_q3="o1")
    assert 'name="q-q4"' in opened.text and "Up to 2,000 characters." in opened.text
    send(client, "s2", ("q2", "q3", "q4"), q_q2="1", q_q3="o1")
    page = client.get(f"/surveys/{SLUG}?s=s3")
    assert "Up to 200 characters." in page.text and "maxlength" not in page.text


def test_traditional_chinese_says_duanxun_for_sms_throughout() -> None:
    catalog = Path(__file__).parents[3] / "locales" / "zh_Hant" / "LC_MESSAGES" / "messages.po"
    text = catalog.read_text(encoding="utf-8")
    assert "短信" not in text and "短訊" in text  # Hong Kong usage, never mixed on one page


def test_the_back_button_shows_an_earlier_section_with_its_answers_never_a_later_one(
    client: PageClient, db: Session
) -> None:
    open_survey(db)
    first = client.get(f"/surveys/{SLUG}")
    # The first section has its own address too: the one the Back button returns to.
    assert str(first.url).endswith(f"/surveys/{SLUG}?s=s1") and "Section 1 of 2" in first.text
    assert send(client, "s1", ("q1",), q_q1="o1").headers["location"] == f"/surveys/{SLUG}?s=s2"
    assert send(client, "s2", ("q2",), q_q2="4").headers["location"] == f"/surveys/{SLUG}?s=s3"
    # Back, from s3 to s2, then to the first page: each shows its section with what was answered.
    back = client.get(f"/surveys/{SLUG}?s=s2")
    assert "Section 2 of 3" in back.text and 'value="4" checked' in back.text
    start = client.get(f"/surveys/{SLUG}?s=s1")
    assert "Section 1 of 3" in start.text and 'value="o1"' in start.text
    # Forward past where the resident got to is not possible by the address.
    send(client, "s1", ("q1",), q_q1="o1")  # sends s1 again: the resident is on s2 now
    ahead = client.get(f"/surveys/{SLUG}?s=s3")
    assert "Section 2 of 3" in ahead.text
