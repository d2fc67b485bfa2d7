"""Departments and the categories of problems they handle: rows, never code."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

from portal.localized import LocalizedName


class Department(LocalizedName, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=40, unique=True)
    active: bool = True
    # The duty mobile that receives new orders and supervision orders by SMS ("" for none).
    duty_phone: str = Field(default="", max_length=20)


class CategoryGroup(LocalizedName, table=True):
    __tablename__ = "category_group"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=40, unique=True)
    icon: str = Field(default="other", max_length=20)
    position: int = 0


class CategoryHint(SQLModel):
    hint_zh_hans: str = Field(default="", max_length=200)
    hint_zh_hant: str = Field(default="", max_length=200)
    hint_en: str = Field(default="", max_length=200)

    def hint(self, locale: str) -> str:
        from portal.localized import LOCALE_SUFFIX

        return str(getattr(self, f"hint_{LOCALE_SUFFIX.get(locale, 'zh_hans')}"))


class Category(LocalizedName, CategoryHint, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=40, unique=True)
    group_id: int = Field(foreign_key="category_group.id", index=True)
    icon: str = Field(default="other", max_length=20)
    default_department_id: int | None = Field(default=None, foreign_key="department.id")
    response_hours: int = Field(default=24, ge=1)
    resolution_days: int = Field(default=5, ge=1)
    active: bool = True
    position: int = 0
