"""Every rule of saving a project, its milestones and photos: a refused save writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from portal.accounts.models import AuditEntry
from portal.directory.models import Category
from portal.i18n import translator
from portal.media import NOT_A_PHOTO, MediaStore, process_photo
from portal.places.models import GridCell, Street
from portal.progress import editing
from portal.progress.editing import CaptionInput, EditRefused, MilestoneRow, ProjectInput
from portal.progress.models import (
    CampaignCategory,
    Milestone,
    Project,
    ProjectArea,
    ProjectDepartment,
    ProjectPhoto,
)
from portal.progress.search import matching, words_of
from tests.unit.factories import jpeg_bytes
from tests.unit.progress.press_helpers import (
    a_department,
    a_project,
    no_projects_after,
    press_user,
    project_input,
    rows,
    yesterday,
)

pytestmark = pytest.mark.usefixtures("no_projects_after")
__all__ = ["no_projects_after"]


def refused(call, *args, **kwargs) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with pytest.raises(EditRefused) as caught:
        call(*args, **kwargs)
    return caught.value.problems.translated(translator("en"))


def save(db: Session, project: Project | None, raw: ProjectInput) -> Project:
    return editing.save_project(db, press_user(db), project, raw, address="test")


def count(db: Session, model: type) -> int:
    return len(list(db.exec(select(model))))


# --- projects ----------------------------------------------------------------------------------------


def test_a_project_is_saved_with_its_departments_area_version_search_text_and_audit(db: Session) -> None:
    street = db.exec(select(Street).order_by(col(Street.id))).first()
    cell = db.exec(select(GridCell).order_by(col(GridCell.code))).first()
    assert street is not None and cell is not None
    lead, other = a_department(db, 0), a_department(db, 1)
    raw = project_input(
        db, departments=[str(other.id), str(lead.id)], streets=[str(street.id)], grids=cell.code.lower()
    )
    project = save(db, None, raw)
    db.commit()
    assert project.version == 1 and project.lead_department_id == lead.id
    assert [d.department_id for d in db.exec(select(ProjectDepartment))] == [
        other.id
    ]  # the lead is not repeated
    areas = {(a.street_id, a.grid_id) for a in db.exec(select(ProjectArea))}
    assert areas == {(street.id, None), (cell.street_id, cell.id)}
    assert "十里长堤整治提升" in project.search_text and "Ten-mile" in project.search_text
    # a 繁體 reader's words find the Simplified summary
    found = db.exec(select(Project).where(matching(db, words_of("清理沿線亂象")))).all()
    assert [p.id for p in found] == [project.id]
    assert [e.action for e in db.exec(select(AuditEntry))] == ["project-created"]

    again = ProjectInput.from_project(db, project)
    assert again.grids == cell.code and again.streets == [str(street.id)]
    changed = save(db, project, again)
    assert changed.version == 2 and changed.updated_at >= project.created_at


def test_the_slug_is_lowercase_ascii_and_unique(db: Session) -> None:
    a_project(db)
    for bad in ("Shili", "shili changdi", "-shili", "shili--changdi", "十里长堤", "a" * 61):
        assert "slug" in refused(save, db, None, project_input(db, slug=bad)), bad
    problems = refused(save, db, None, project_input(db, slug="shili-changdi", title_zh_hans="另一个"))
    assert problems["slug"] == (
        "The address /progress/shili-changdi is already used by another project: choose another short name."
    )
    assert count(db, Project) == 1


def test_a_published_project_keeps_its_address(db: Session) -> None:
    project = a_project(db, published=True)
    raw = ProjectInput.from_project(db, project)
    raw.slug = "new-address"
    assert "does not change" in refused(save, db, project, raw)["slug"]


def test_simplified_title_required_and_lengths(db: Session) -> None:
    problems = refused(
        save, db, None, project_input(db, title_zh_hans="", summary_en="x" * 401, body_zh_hant="y" * 20_001)
    )
    assert set(problems) >= {"title_zh_hans", "summary_en", "body_zh_hant"}
    assert "at most 400" in problems["summary_en"]


def test_markup_in_titles_and_unsafe_markdown_in_the_body_are_refused(db: Session) -> None:
    problems = refused(
        save,
        db,
        None,
        project_input(
            db,
            title_zh_hans="杏滨路人行道修缮<script>alert('x')</script>",
            summary_en="<b>Pavement</b> repair",
            body_zh_hans="[点我](javascript:alert(1))",
            body_en="<script>alert(2)</script>",
        ),
    )
    assert set(problems) >= {"title_zh_hans", "summary_en", "body_zh_hans", "body_en"}
    assert "remove the code between < and >" in problems["title_zh_hans"]
    assert "javascript:" in problems["body_zh_hans"] and "Remove the HTML code" in problems["body_en"]
    assert db.exec(select(Project)).first() is None  # nothing saved
    save(
        db, None, project_input(db, title_en="Fences down: 3 < 5 sites done")
    )  # a "<" that is no tag is fine


def test_status_kind_weight_and_departments_are_checked(db: Session) -> None:
    problems = refused(
        save, db, None,
        project_input(db, status="done", kind="thing", weight="0", lead_department="", departments=["999999"]),
    )  # fmt: skip
    assert set(problems) >= {"status", "kind", "weight", "lead_department", "departments"}
    assert "weight" in refused(save, db, None, project_input(db, weight="101"))


def test_a_switched_off_department_is_refused_unless_the_project_names_it_already(db: Session) -> None:
    department = a_department(db, 1)
    project = save(db, None, project_input(db, departments=[str(department.id)]))
    department.active = False
    db.add(department)
    db.commit()
    try:
        other = project_input(db, slug="other", departments=[str(department.id)])
        assert "departments" in refused(save, db, None, other)
        again = project_input(db, departments=[str(department.id)], version=str(project.version))
        assert save(db, project, again).id == project.id  # editing it keeps what it had: no refusal
    finally:  # departments are shared by every test
        db.rollback()
        department.active = True
        db.add(department)
        db.commit()


def test_the_target_is_not_before_the_start_and_dates_are_dates(db: Session) -> None:
    problems = refused(save, db, None, project_input(db, start_date="2026-05-01", target_date="2026-04-30"))
    assert problems == {"target_date": "The target date cannot be before the start date."}
    assert "start_date" in refused(save, db, None, project_input(db, start_date="2026-02-30"))


def test_a_project_cannot_be_part_of_itself_or_its_parts(db: Session) -> None:
    top = a_project(db, slug="chailan-toulv")
    part = a_project(db, slug="chailan-jimei", parent=str(top.id), weight="3")
    small = a_project(db, slug="chailan-jimei-a", parent=str(part.id))
    assert part.parent_id == top.id and part.weight == 3
    raw = ProjectInput.from_project(db, top)
    raw.parent = str(small.id)
    assert "part of itself" in refused(save, db, top, raw)["parent"]
    raw.parent = str(top.id)
    assert "parent" in refused(save, db, top, raw)
    raw.parent = "424242"
    assert "parent" in refused(save, db, top, raw)


def test_categories_only_for_a_campaign(db: Session) -> None:
    category = db.exec(select(Category).order_by(col(Category.id))).first()
    assert category is not None
    assert "categories" in refused(save, db, None, project_input(db, categories=[str(category.id)]))
    campaign = save(db, None, project_input(db, slug="ebike", kind="campaign", categories=[str(category.id)]))
    assert [
        c.category_id
        for c in db.exec(select(CampaignCategory).where(CampaignCategory.project_id == campaign.id))
    ] == [category.id]


def test_unknown_grid_cells_are_named(db: Session) -> None:
    assert "JM-99-99" in refused(save, db, None, project_input(db, grids="JM-99-99"))["grids"]


def test_a_stale_form_is_refused_and_nothing_is_saved(db: Session) -> None:
    project = a_project(db)
    raw = ProjectInput.from_project(db, project)
    save(db, project, ProjectInput.from_project(db, project))  # someone else saved meanwhile
    db.commit()
    raw.title_zh_hans = "改了标题"
    assert "form" in refused(save, db, project, raw)
    db.rollback()
    assert db.get(Project, project.id).title_zh_hans == "十里长堤整治提升"  # type: ignore[union-attr]


def test_the_start_cannot_move_past_a_planned_milestone(db: Session) -> None:
    project = a_project(db)
    editing.save_milestones(
        db,
        press_user(db),
        project,
        rows(("清理", 100, "2026-04-01", "planned", "")),
        str(project.version),
        address="t",
    )
    db.commit()
    raw = ProjectInput.from_project(db, project)
    raw.start_date = "2026-05-01"
    assert "清理" in refused(save, db, project, raw)["start_date"]


# --- milestones --------------------------------------------------------------------------------------


def save_rows(db: Session, project: Project, table: list[MilestoneRow]) -> list[Milestone]:
    return editing.save_milestones(db, press_user(db), project, table, str(project.version), address="t")


def test_milestones_weights_total_exactly_100(db: Session) -> None:
    project = a_project(db)
    version = project.version
    table = rows(
        ("清理", 30, "2026-04-01", "planned", ""),
        ("修缮", 30, "2026-06-01", "planned", ""),
        ("补植", 30, "2026-09-01", "planned", ""),
    )
    problems = refused(save_rows, db, project, table)
    assert problems == {
        "weights": "The milestones' weights add up to 90 %. They must add up to exactly 100 %."
    }
    assert count(db, Milestone) == 0 and project.version == version
    table[2].weight = "40"
    saved = save_rows(db, project, [*table, MilestoneRow(), MilestoneRow()])  # blank rows are left out
    db.commit()
    assert [m.weight for m in saved] == [30, 30, 40] and [m.position for m in saved] == [0, 1, 2]
    assert project.version == version + 1
    assert "milestones-saved" in [e.action for e in db.exec(select(AuditEntry))]


def test_milestone_weights_are_whole_numbers_1_to_100(db: Session) -> None:
    project = a_project(db)
    for bad in ("0", "101", "50.5", "", "五十"):
        table = rows(("清理", 50, "2026-04-01", "planned", ""), ("修缮", 50, "2026-06-01", "planned", ""))
        table[0].weight = bad
        assert "m-0-weight" in refused(save_rows, db, project, table), bad


def test_planned_dates_are_not_before_the_start(db: Session) -> None:
    project = a_project(db)
    problems = refused(save_rows, db, project, rows(("清理", 100, "2026-02-28", "planned", "")))
    assert (
        problems["m-0-planned_date"]
        == "Milestone 1: the planned date cannot be before the project's start (2026-03-01)."
    )
    assert "m-0-planned_date" in refused(
        save_rows, db, project, rows(("清理", 100, "someday", "planned", ""))
    )


def test_a_reached_milestone_has_a_past_date(db: Session) -> None:
    project = a_project(db)
    assert "m-0-actual_date" in refused(save_rows, db, project, rows(("清理", 100, "2026-04-01", "done", "")))
    tomorrow = (editing.district_today() + timedelta(days=1)).isoformat()
    assert (
        "future"
        in refused(save_rows, db, project, rows(("清理", 100, "2026-04-01", "done", tomorrow)))[
            "m-0-actual_date"
        ]
    )
    assert (
        "only for a reached"
        in refused(save_rows, db, project, rows(("清理", 100, "2026-04-01", "planned", "2026-04-02")))[
            "m-0-actual_date"
        ]
    )
    assert (
        "before the project"
        in refused(save_rows, db, project, rows(("清理", 100, "2026-04-01", "done", "2026-01-02")))[
            "m-0-actual_date"
        ]
    )
    [milestone] = save_rows(db, project, rows(("清理", 100, "2026-04-01", "done", yesterday().isoformat())))
    assert milestone.actual_date == yesterday() and milestone.announced_at is None


def test_a_refused_table_changes_no_row(db: Session) -> None:
    project = a_project(db)
    save_rows(
        db,
        project,
        rows(("清理", 60, "2026-04-01", "planned", ""), ("修缮", 40, "2026-06-01", "planned", "")),
    )
    db.commit()
    table = editing.milestone_rows(db, project)
    table[0].title_zh_hans = "改过的清理"
    table[1].remove = True  # 60 left: refused, and the first row's new title is not written
    assert "weights" in refused(save_rows, db, project, table)
    db.rollback()
    assert sorted(m.title_zh_hans for m in db.exec(select(Milestone))) == ["修缮", "清理"]
    table[0].weight = "100"
    save_rows(db, project, table)
    db.commit()
    assert [m.title_zh_hans for m in db.exec(select(Milestone))] == ["改过的清理"]


def test_a_milestone_of_another_project_cannot_be_edited(db: Session) -> None:
    mine, theirs = a_project(db), a_project(db, slug="other")
    [their_row] = save_rows(db, theirs, rows(("别人的", 100, "2026-04-01", "planned", "")))
    db.commit()
    forged = rows(("抢来的", 100, "2026-04-01", "planned", ""))
    forged[0].id = str(their_row.id)
    assert "form" in refused(save_rows, db, mine, forged)


def test_milestone_rows_read_from_a_form_in_page_order() -> None:
    form = {
        "m-1-title_zh_hans": "二",
        "m-1-weight": "40",
        "m-0-title_zh_hans": "一",
        "m-0-remove": "on",
        "m-10-id": "",
    }
    table = editing.milestone_rows_from_form(form)
    assert [r.title_zh_hans for r in table] == ["一", "二", ""] and table[0].remove and table[2].is_blank()


# --- photos ------------------------------------------------------------------------------------------


def test_cover_and_pairs_through_the_photo_pipeline(db: Session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    media = MediaStore(tmp_path)
    project = a_project(db)
    user = press_user(db)
    caption = CaptionInput("栏杆拆除前", "欄杆拆除前", "Before the fence came down")
    photo = process_photo(jpeg_bytes(2400, 1800))
    editing.set_cover(db, user, project, photo, caption, media, version=str(project.version), address="t")
    before, after = (
        process_photo(jpeg_bytes(color=(10, 90, 10))),
        process_photo(jpeg_bytes(color=(90, 200, 90))),
    )
    editing.add_pair(
        db,
        user,
        project,
        before,
        after,
        (caption, CaptionInput("拆除后")),
        media,
        version=str(project.version),
        address="t",
    )
    db.commit()
    stored = list(db.exec(select(ProjectPhoto).order_by(col(ProjectPhoto.position))))
    assert [(p.role, p.pair) for p in stored] == [("cover", 0), ("before", 1), ("after", 1)]
    assert stored[0].width == 1600 and media.open_bytes(stored[0].digest, "thumb")
    # a new cover replaces the old one; removing one side removes the pair
    editing.set_cover(db, user, project, before, caption, media, version=str(project.version), address="t")
    editing.remove_photo(db, user, project, str(stored[2].id), version=str(project.version), address="t")
    db.commit()
    assert [(p.role, p.digest) for p in db.exec(select(ProjectPhoto))] == [("cover", before.digest)]


def test_fake_or_missing_photos_and_captions_are_refused(db: Session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    media = MediaStore(tmp_path)
    project = a_project(db)
    good = process_photo(jpeg_bytes())
    problems = refused(
        editing.add_pair, db, press_user(db), project, good, NOT_A_PHOTO, (CaptionInput("前"), CaptionInput("")),
        media, version=str(project.version), address="t",
    )  # fmt: skip
    assert problems == {
        "after-file": NOT_A_PHOTO,
        "after-caption_zh_hans": "Describe the photo in Simplified Chinese: it is what readers who cannot see it hear.",
    }
    assert "cover-file" in refused(
        editing.set_cover,
        db,
        press_user(db),
        project,
        None,
        CaptionInput("封面"),
        media,
        version=str(project.version),
        address="t",
    )
    assert count(db, ProjectPhoto) == 0 and not list(tmp_path.glob("*/*/*.jpg"))
