"""The downloads: one row per response with stable columns, the per-question summary, and the
figures of the page, the CSV, the JSON and summary.csv agreeing to the digit."""

from __future__ import annotations

import csv
import io
import json
import re

from sqlmodel import Session, select

from portal.surveys.definition import Answer
from portal.surveys.models import SurveyAnswer
from tests.pages import PageClient
from tests.unit.surveys.results_data import answer, resident
from tests.unit.surveys.survey_data import open_survey

BASE = "/surveys/shili-changdi-manyidu"


def residents(db: Session) -> None:
    survey = open_survey(db)
    answer(
        db,
        survey,
        [
            resident("o1", rating=1, nps=10, age=31, q3=Answer(options=["o1", "o4"], other="=HYPERLINK(\"x\") 王小明说"),
                     q4=Answer(text="李四：13912345678 半夜施工"), q8=Answer(rows={"r1": "o1", "r2": "o3"}),
                     q7=Answer(text="2026-11-02"), q9=Answer(text="王小明"), q10=Answer(options=["o2"])),
            resident("o1", rating=2, nps=9, age=45, q3=Answer(options=["o2"]), q8=Answer(rows={"r1": "o2"})),
            resident("o2", nps=3, age=67.5),
            resident("o3", nps=6, age=20, q1=Answer(options=["o3"], other="杏林")),
            resident("o1", rating=5, nps=7, age=52, q8=Answer(rows={"r1": "o3", "r2": "o3"})),
        ],
    )  # fmt: skip
    for row in db.exec(select(SurveyAnswer).where(SurveyAnswer.text != "")):
        row.approved = True  # every text approved (the personal one too: it must still stay out)
        db.add(row)
    db.commit()


def read_csv(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM that lets Excel read the Chinese
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_one_row_per_response_with_stable_columns(client: PageClient, db: Session) -> None:
    residents(db)
    response = client.get(f"{BASE}/results.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = read_csv(response.content)
    assert list(rows[0]) == ["response", "version", "submitted", "q1", "q1_other", "q2", "q3", "q3_other", "q4",
                             "q5", "q6", "q7", "q8_r1", "q8_r2", "q10"]  # fmt: skip
    assert [r["response"] for r in rows] == ["1", "2", "3", "4", "5"]
    first = rows[0]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", first["submitted"])  # the day only
    assert (first["q1"], first["q2"], first["q3"], first["q5"], first["q6"]) == (
        "o1",
        "1",
        "o1;o4",
        "10",
        "31",
    )
    assert first["q3_other"] == '\'=HYPERLINK("x") 王**说'  # neutralised and masked
    assert first["q4"] == "李*：139******** 半夜施工"
    assert (first["q8_r1"], first["q8_r2"], first["q7"], first["q10"]) == ("o1", "o3", "2026-11-02", "o2")
    assert rows[2]["q6"] == "67.5" and rows[2]["q2"] == ""  # 侨英: the rating was not asked
    assert rows[3]["q1_other"] == "杏林"
    assert "王小明" not in response.content.decode("utf-8-sig").replace("王**", "")
    assert "13912345678" not in response.content.decode("utf-8-sig")


def test_the_json_has_the_same_rows_as_the_csv(client: PageClient, db: Session) -> None:
    residents(db)
    rows = read_csv(client.get(f"{BASE}/results.csv").content)
    data = json.loads(client.get(f"{BASE}/results.json").content)
    assert data["columns"] == list(rows[0])
    assert "q9" not in data["columns"]
    for from_csv, from_json in zip(rows, data["rows"], strict=True):
        for name, value in from_json.items():
            expected = "" if value is None else str(value)
            assert from_csv[name].lstrip("'") == expected, name


def page_figures(html: str) -> dict[tuple[str, str, str], str]:
    """(question, option or row:option, figure) → the text of the page's tables."""
    found: dict[tuple[str, str, str], str] = {}
    for question, part in re.findall(r'data-question="(q\d+)"(.*?)</section>', html, re.S):
        for option, cells in re.findall(r'<tr data-option="([^"]+)">(.*?)</tr>', part, re.S):
            for name, value in re.findall(r'data-figure="(\w+)">([^<]*)<', cells):
                found[(question, option, name)] = value.rstrip("%")
        for row, cells in re.findall(r'<tr data-row="([^"]+)">(.*?)</tr>', part, re.S):
            for option, value in re.findall(r'<td data-option="([^"]+)">([^<]*)<', cells):
                found[(question, f"{row}:{option}", "matrix")] = value
        for name, value in re.findall(r'<strong data-figure="(\w+)">([^<]*)<', part):
            found[(question, "", name)] = value.rstrip("%")
    return found


def test_the_page_the_summary_and_the_responses_agree_to_the_digit(client: PageClient, db: Session) -> None:
    residents(db)
    page = page_figures(client.get(f"{BASE}/results").text)
    summary = read_csv(client.get(f"{BASE}/summary.csv").content)
    responses = read_csv(client.get(f"{BASE}/results.csv").content)
    checked = 0
    for row in summary:
        q, measure, option = row["question"], row["measure"], row["option"]
        if measure in ("option", "other", "point"):
            assert page[(q, option, "count")] == row["count"]
            assert page[(q, option, "percent")] == row["percent"]
            counted = (
                sum(1 for r in responses if option in r[q].split(";"))
                if measure != "point"
                else sum(1 for r in responses if r[q] == option)
            )
            assert counted == int(row["count"]), (q, option)
            checked += 1
        elif measure in ("average", "nps", "median", "min", "max", "mean"):
            assert page[(q, "", measure)] == row["value"], (q, measure)
            checked += 1
        elif measure in ("promoters", "passives", "detractors"):
            assert page[(q, "", measure)] == row["percent"]
            checked += 1
        elif measure == "matrix":
            assert page[(q, f"{row['row']}:{option}", "matrix")] == f"{row['count']} ({row['percent']}%)"
            assert sum(1 for r in responses if r[f"{q}_{row['row']}"] == option) == int(row["count"])
            checked += 1
    assert checked > 40
    ages = sorted(float(r["q6"]) for r in responses)
    assert page[("q6", "", "median")] == "45" == f"{ages[2]:g}"
    assert page[("q5", "", "nps")] == "0.0"  # 2 promoters, 2 detractors of 5
    assert not any(r["question"] == "q9" and r["measure"] != "answered" for r in summary)
