"""``portal db backup`` and ``portal db restore``: a backup restored into an empty place holds every
ticket, event, rating and photo; a restore never overwrites by surprise, and a damaged archive
changes nothing."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from portal.db import make_engine, metadata
from portal.ops import backup
from portal.ops.backup import BackupError
from portal.services import Services
from portal.settings import Settings
from portal.tickets.models import Photo, Ticket
from tests.live import ROOT
from tests.pages import PageClient
from tests.unit.factories import a_community, jpeg_bytes, report_fields, resolve_ticket, submit_report
from tests.unit.ops.serving import portal_env
from tests.unit.ops.test_health import empty_database, portal_on


def run_portal(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "portal.cli", *args],
        env=portal_env(settings),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def tickets_with_photos(client: PageClient, db: Session, services: Services) -> list[Ticket]:
    """Two reports with real photos, as residents send them; one resolved and rated."""
    community = a_community(db).slug
    photos = [("a.jpg", jpeg_bytes(color=(200, 80, 40)), "image/jpeg"), ("b.jpg", jpeg_bytes(color=(20, 90, 200)), "image/jpeg")]  # fmt: skip
    assert submit_report(client, report_fields(client, community), photos).status_code == 303
    assert (
        submit_report(
            client,
            report_fields(client, community, phone="13600001111", description="路灯坏了，晚上很黑。"),
            photos[1:],
        ).status_code
        == 303
    )
    first, second = db.exec(select(Ticket).order_by(Ticket.id)).all()  # type: ignore[arg-type]
    resolve_ticket(db, services, second)
    rated = client.post(
        f"/t/{second.code}/rate", data={"_csrf_token": client.csrf(), "level": "4", "solved": "yes"}
    )
    assert rated.status_code in {200, 303}
    return [first, second]


def table_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table the models describe, in a stable order."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table.name: sorted((tuple(row) for row in conn.execute(table.select())), key=repr)
                for table in metadata.sorted_tables
            }
    finally:
        engine.dispose()


def media_files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def has_tables(url: str) -> bool:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return bool(engine.dialect.get_table_names(conn))
    finally:
        engine.dispose()


def test_a_backup_restores_into_an_empty_place_with_every_ticket_and_photo(
    settings: Settings, client: PageClient, db: Session, services: Services, tmp_path: Path
) -> None:
    tickets = tickets_with_photos(client, db, services)
    archive = tmp_path / "jimei.tar"
    made = run_portal(settings, "db", "backup", str(archive))
    assert made.returncode == 0, made.stderr
    assert "2 ticket(s)" in made.stdout and "1 rating(s)" in made.stdout
    before = table_rows(settings.database_url)
    assert len(before["ticket"]) == 2 and len(before["rating"]) == 1 and len(before["photo"]) == 4
    with empty_database(settings.database_url) as url:
        target = settings.with_overrides(database_url=url, media_dir=tmp_path / "restored-media")
        done = run_portal(target, "db", "restore", str(archive))
        assert done.returncode == 0, done.stderr
        assert "2 ticket(s)" in done.stdout and f"into {target.media_dir}" in done.stdout

        assert table_rows(url) == before  # every ticket, event, rating, photo, account, place...
        restored = media_files(target.media_dir)
        assert restored == media_files(settings.media_dir)  # every file, its bytes equal
        digests = {photo.digest for photo in db.exec(select(Photo))} - {
            "c" * 64
        }  # resolve_ticket's has no file
        assert len(digests) == 2  # the residents' two photos
        for digest in digests:
            for name in (
                f"{digest[:2]}/{digest[2:4]}/{digest}.jpg",
                f"{digest[:2]}/{digest[2:4]}/{digest}.thumb.jpg",
            ):
                assert restored[name] == (settings.media_dir / name).read_bytes()
        with portal_on(target) as restored_portal:
            assert restored_portal.get("/readyz").json()["status"] == "ok"  # migrated and current
            page = restored_portal.get(f"/t/{tickets[1].code}")
            assert page.status_code == 200 and tickets[1].code in page.text

        again = run_portal(target, "db", "restore", str(archive))
        assert again.returncode == 1 and again.stdout == ""
        assert "the database already has 2 ticket(s)" in again.stderr and "--force" in again.stderr
        assert "nothing was changed" in again.stderr
        forced = run_portal(target, "db", "restore", "--force", str(archive))
        assert forced.returncode == 0, forced.stderr
        assert table_rows(url) == before


def test_a_media_folder_with_files_is_not_overwritten(
    settings: Settings, client: PageClient, db: Session, services: Services, tmp_path: Path
) -> None:
    tickets_with_photos(client, db, services)
    archive = tmp_path / "jimei.tar"
    backup.backup(settings, archive)
    media = tmp_path / "media"
    (media / "ab").mkdir(parents=True)
    (media / "ab" / "someone-elses.jpg").write_bytes(b"not ours")
    with empty_database(settings.database_url) as url:
        with pytest.raises(BackupError, match=r"the media folder .* already has files: nothing was changed"):
            backup.restore(settings.with_overrides(database_url=url, media_dir=media), archive)
        assert not has_tables(url)
    assert media_files(media) == {"ab/someone-elses.jpg": b"not ours"}


def _flip_a_byte(archive: Path, member_prefix: str) -> str:
    with tarfile.open(archive) as tar:
        info = next(i for i in tar.getmembers() if i.name.startswith(member_prefix))
    with open(archive, "r+b") as file:
        file.seek(info.offset_data + info.size // 2)
        byte = file.read(1)
        file.seek(-1, 1)
        file.write(bytes([byte[0] ^ 0xFF]))
    return info.name


def test_a_damaged_archive_is_refused_and_changes_nothing(
    settings: Settings, client: PageClient, db: Session, services: Services, tmp_path: Path
) -> None:
    tickets_with_photos(client, db, services)
    good = tmp_path / "good.tar"
    backup.backup(settings, good)
    flipped_photo, flipped_database = tmp_path / "photo.tar", tmp_path / "database.tar"
    flipped_photo.write_bytes(good.read_bytes())
    flipped_database.write_bytes(good.read_bytes())
    photo = _flip_a_byte(flipped_photo, "media/")
    database = _flip_a_byte(flipped_database, "database.")
    cut = tmp_path / "cut.tar"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with tarfile.open(good) as tar:
        manifest_at = tar.getmember("manifest.json").offset
    unfinished = tmp_path / "unfinished.tar"  # as a backup stopped before its last members leaves it
    unfinished.write_bytes(good.read_bytes()[:manifest_at])
    not_tar = tmp_path / "notes.tar"
    not_tar.write_text("a list of things to do\n")
    expected = {
        flipped_photo: f"is damaged: {photo} does not match its checksum; nothing was changed",
        flipped_database: f"is damaged: {database} does not match its checksum; nothing was changed",
        cut: "cut.tar is damaged (unexpected end of data); nothing was changed",
        unfinished: "unfinished.tar is incomplete or not a backup of the portal (it has no SHA256SUMS",
        not_tar: "notes.tar is not a backup of the portal (not a tar archive",
    }
    with empty_database(settings.database_url) as url:
        target = settings.with_overrides(database_url=url, media_dir=tmp_path / "restored" / "media")
        for archive, message in expected.items():
            done = run_portal(target, "db", "restore", str(archive))
            assert done.returncode == 1 and message in done.stderr, done.stderr
            assert not has_tables(url)
            assert not target.media_dir.exists() or media_files(target.media_dir) == {}
            assert [p.name for p in target.media_dir.parent.iterdir() if p.name != "media"] == []
        assert run_portal(target, "db", "restore", str(good)).returncode == 0  # the good one is fine


def test_a_backup_restores_only_into_the_same_kind_of_database(settings: Settings, tmp_path: Path) -> None:
    archive = tmp_path / "jimei.tar"
    backup.backup(settings, archive)
    other = (
        "postgresql://nobody@127.0.0.1:9/elsewhere"
        if settings.database_url.startswith("sqlite")
        else f"sqlite:///{tmp_path / 'other.db'}"
    )
    with pytest.raises(BackupError, match="restores only into the same kind of database") as refused:
        backup.restore(settings.with_overrides(database_url=other, media_dir=tmp_path / "m"), archive)
    assert "is not supported" in str(refused.value)
    assert not (tmp_path / "other.db").exists() and not (tmp_path / "m").exists()


def test_a_backup_never_overwrites_a_file(settings: Settings, tmp_path: Path) -> None:
    archive = tmp_path / "jimei.tar"
    archive.write_text("last week's backup")
    with pytest.raises(BackupError, match="already exists: a backup never overwrites a file"):
        backup.backup(settings, archive)
    assert archive.read_text() == "last week's backup"
    assert [p.name for p in tmp_path.iterdir()] == ["jimei.tar"]


def test_without_pg_dump_it_says_what_to_install(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    on_postgresql = settings.with_overrides(database_url="postgresql://portal@127.0.0.1:9/portal")
    with pytest.raises(BackupError, match="pg_dump was not found: install the PostgreSQL client tools"):
        backup.backup(on_postgresql, tmp_path / "jimei.tar")
    assert not (tmp_path / "jimei.tar").exists()


def test_the_manifest_says_what_the_archive_holds(
    settings: Settings, client: PageClient, db: Session, services: Services, tmp_path: Path
) -> None:
    import json

    tickets_with_photos(client, db, services)
    archive = tmp_path / "jimei.tar"
    backup.backup(settings, archive)
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    kind = "sqlite" if settings.database_url.startswith("sqlite") else "postgresql"
    assert names[0] == manifest["database_member"] and names[-2:] == ["manifest.json", "SHA256SUMS"]
    assert manifest["database"] == kind and manifest["format"] == 1 and manifest["portal_version"]
    with make_engine(settings.database_url).connect() as conn:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert manifest["alembic_revisions"] == [revision]
    assert manifest["counts"]["ticket"] == 2 and manifest["counts"]["photo"] == 4
    assert manifest["media_files"] == len(media_files(settings.media_dir))
