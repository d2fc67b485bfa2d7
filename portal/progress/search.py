"""Finding projects by words in any locale, Chinese included.

Every word must occur in the project's ``search_text``: its title, summary and body in every locale,
plus the Traditional texts folded to Simplified. The query is folded to Simplified too, so a 繁體
query finds words written in Simplified. Chinese is not split into words: a word is what the reader
typed between spaces, found as a substring (长堤 in 十里长堤).

- PostgreSQL: ``ILIKE '%word%'`` over ``project.search_text``, which the pg_trgm GIN index serves.
- SQLite: the FTS5 table ``project_search`` (trigram tokenizer, rowid = project.id) answers
  ``LIKE '%word%'`` for words of three characters or more. The trigram index cannot answer shorter
  patterns (SQLite before 3.43 finds nothing for them), so a one- or two-character word (长堤) is
  matched against ``project.search_text`` itself: a scan of a table of at most some hundred rows.

``reindex`` keeps both up to date; the press office calls it on every save.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, and_, column, delete, insert, select, table, true
from sqlmodel import Session, col

from portal.localized import LOCALE_SUFFIX
from portal.progress.models import Project
from portal.progress.texts import to_hans

MAX_WORDS = 8
MAX_WORD = 40
TRIGRAM = 3
# Wildcards and the escape character are no part of a word: they split words like spaces do.
_SEPARATORS = re.compile(r"[\s%_\\,，、;；。.!！?？:：\"'“”‘’()（）]+")

project_search = table("project_search", column("rowid"), column("search_text"))


def words_of(query: str) -> list[str]:
    """The words of a query, folded to Simplified and lower case, without repeats."""
    folded = to_hans(query[: MAX_WORDS * (MAX_WORD + 1)]).lower()
    words: list[str] = []
    for word in _SEPARATORS.split(folded):
        word = word[:MAX_WORD]
        if word and word not in words:
            words.append(word)
    return words[:MAX_WORDS]


def search_text_of(project: Project) -> str:
    """Every locale's words of the project, and the Traditional ones folded to Simplified."""
    texts = [
        str(getattr(project, f"{name}_{suffix}") or "")
        for name in ("title", "summary", "body")
        for suffix in LOCALE_SUFFIX.values()
    ]
    hant = [str(getattr(project, f"{name}_zh_hant") or "") for name in ("title", "summary", "body")]
    folded = [to_hans(text) for text in hant if text.strip()]
    return "\n".join(text for text in [*texts, *folded] if text.strip())


def reindex(session: Session, project: Project) -> None:
    """Rebuild the project's search text (and, on SQLite, its row of ``project_search``). Call it
    after every change to the project's texts; the project is flushed first to have its id."""
    project.search_text = search_text_of(project)
    session.add(project)
    session.flush()
    if _dialect(session) == "sqlite":
        session.execute(delete(project_search).where(project_search.c.rowid == project.id))
        session.execute(insert(project_search).values(rowid=project.id, search_text=project.search_text))


def matching(session: Session, words: list[str]) -> ColumnElement[bool]:
    """A condition on Project: every word occurs in its texts. No words: every project."""
    if not words:
        return true()
    text = col(Project.search_text)
    if _dialect(session) != "sqlite":
        return and_(*(text.ilike(f"%{word}%") for word in words))
    long = [word for word in words if len(word) >= TRIGRAM]
    short = [word for word in words if len(word) < TRIGRAM]
    conditions: list[ColumnElement[bool]] = [text.like(f"%{word}%") for word in short]
    if long:
        found: Any = select(project_search.c.rowid).where(
            *(project_search.c.search_text.like(f"%{word}%") for word in long)
        )
        conditions.append(col(Project.id).in_(found))
    return and_(*conditions)


def _dialect(session: Session) -> str:
    return str(session.get_bind().dialect.name)
