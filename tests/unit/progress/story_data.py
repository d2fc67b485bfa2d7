"""Small factories for the story tests: staff of each role, a project, a story; and a clean slate."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from portal.accounts.models import StaffRole, StaffUser
from portal.progress.forms import StoryDraft, TextInput
from portal.progress.models import Project
from tests.conftest import clear_projects_and_stories


def clear_stories(engine: Engine) -> None:
    clear_projects_and_stories(engine)


def staff(db: Session, username: str, role: StaffRole, department_id: int | None = None) -> StaffUser:
    user = StaffUser(
        username=username,
        display_name=username,
        password_hash="-",
        role=role.value,
        department_id=department_id,
    )
    db.add(user)
    db.commit()
    return user


def project(db: Session, slug: str = "chai-lan-tou-lv", published: bool = True) -> Project:
    row = Project(
        slug=slug, title_zh_hans="拆栏透绿", title_en="Fences down, green opened", published=published
    )
    db.add(row)
    db.commit()
    return row


BODY = "侨英街道拆除围栏**三百米**，还绿于民。\n\n| 街道 | 完成 |\n|---|--:|\n| 侨英 | 80% |\n"


def draft(
    title: str = "侨英街道拆栏透绿完成",
    body: str = BODY,
    *,
    slug: str = "",
    project_id: int | None = None,
    en: str = "",
    hant: str = "",
) -> StoryDraft:
    texts = {"zh_Hans": TextInput(title=title, summary="三百米围栏拆除", body=body)}
    if en:
        texts["en"] = TextInput(title=en, body="Three hundred metres of fence came down.")
    if hant:
        texts["zh_Hant"] = TextInput(title=hant, body="僑英街道")
    return StoryDraft(slug=slug, project_id=project_id, texts=texts)
