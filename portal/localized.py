"""Database rows that carry a text in every locale."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

LOCALE_SUFFIX = {"zh_Hans": "zh_hans", "zh_Hant": "zh_hant", "en": "en"}


class LocalizedName(SQLModel):
    name_zh_hans: str = Field(max_length=120)
    name_zh_hant: str = Field(max_length=120)
    name_en: str = Field(max_length=120)

    def name(self, locale: str) -> str:
        return str(getattr(self, f"name_{LOCALE_SUFFIX.get(locale, 'zh_hans')}"))
