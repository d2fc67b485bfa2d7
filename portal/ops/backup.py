"""``portal db backup`` and ``portal db restore``: the database and the media folder in one archive.

The archive is a plain tar file (the photos are JPEG and the PostgreSQL dump is compressed already):

    database.sqlite3 or database.pgdump   SQLite's online backup, or ``pg_dump --format=custom``
    media/ab/cd/<digest>.jpg ...          every file of PORTAL_MEDIA_DIR, with its time
    manifest.json                         what it holds: versions, database kind, time, counts
    SHA256SUMS                            the checksum of every other member; written last, so an
                                          archive cut short has none and is refused

Both are safe while the portal serves: the database is copied as of one moment (SQLite's backup API;
pg_dump in a snapshot the counts are read in too), then the media folder, whose files are only ever
added (the photos the copied database refers to were all written before it). A restore checks the
whole archive before it changes anything, and goes into an empty database and media folder unless
told ``--force``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import IO, Any

from sqlalchemy.engine import make_url

from portal.settings import Settings

FORMAT = 1
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
MEDIA = "media"
# What the manifest counts and a restore checks: a resident's ticket, its history, ratings, photos.
COUNTED = ("ticket", "ticket_event", "rating", "photo")
CHUNK = 1024 * 1024


class BackupError(Exception):
    """What went wrong, in words for the operator; nothing was changed unless it says so."""


@dataclass(frozen=True)
class Snapshot:
    """The database as copied: its file, and what the manifest says about it."""

    path: Path
    revisions: list[str]
    counts: dict[str, int]
    tool: str


# --- backup ----------------------------------------------------------------------------------------


def backup(settings: Settings, dest: str | Path) -> str:
    """Write the archive to ``dest`` (a new file) and return what it holds, in words."""
    dest = Path(dest)
    if dest.exists():
        raise BackupError(f"{dest} already exists: a backup never overwrites a file; choose a new name.")
    if not dest.parent.is_dir():
        raise BackupError(f"there is no folder {dest.parent} to write {dest.name} in.")
    kind = database_kind(settings.database_url)
    member = SQLITE_MEMBER if kind == "sqlite" else PG_MEMBER
    partial = dest.with_name(f".{dest.name}.partial")
    with tempfile.TemporaryDirectory(prefix=".portal-backup-", dir=dest.parent) as work:
        if kind == "sqlite":
            snapshot = _copy_sqlite(settings.database_url, Path(work) / member)
        else:
            snapshot = _dump_postgresql(settings.database_url, Path(work) / member)
        try:
            with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
                sums = {member: _add_file(tar, snapshot.path, member)}
                files = size = 0
                for path, name in _media_files(settings.media_dir):
                    sums[name] = _add_file(tar, path, name)
                    files += 1
                    size += path.stat().st_size
                manifest = {
                    "format": FORMAT,
                    "portal_version": _portal_version(),
                    "database": kind,
                    "database_member": member,
                    "dump_tool": snapshot.tool,
                    "alembic_revisions": snapshot.revisions,
                    "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "counts": snapshot.counts,
                    "media_files": files,
                    "media_bytes": size,
                }
                manifest_bytes = json.dumps(manifest, indent=2, ensure_ascii=False).encode() + b"\n"
                sums[MANIFEST] = _add_bytes(tar, MANIFEST, manifest_bytes)
                _add_bytes(
                    tar, SUMS, "".join(f"{digest}  {name}\n" for name, digest in sums.items()).encode()
                )
            with open(partial, "rb") as written:
                os.fsync(written.fileno())
            os.replace(partial, dest)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return f"wrote {dest} ({_megabytes(dest.stat().st_size)}): {_describe(manifest)}"


def _copy_sqlite(url: str, target: Path) -> Snapshot:
    source_path = sqlite_path(url)
    if not source_path.is_file():
        raise BackupError(f"there is no database at {source_path}.")
    source = sqlite3.connect(source_path, timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # one step: a consistent copy; in WAL mode writers carry on meanwhile
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        revisions, counts = _read_state(copy)
    except sqlite3.Error as problem:
        raise BackupError(f"could not copy the SQLite database {source_path}: {problem}") from None
    finally:
        copy.close()
        source.close()
    return Snapshot(target, revisions, counts, f"sqlite3 online backup (SQLite {sqlite3.sqlite_version})")


def _dump_postgresql(url: str, target: Path) -> Snapshot:
    import psycopg

    pg_dump = _client_tool("pg_dump")
    conninfo, env = libpq_target(url)
    try:
        with _pg_connect(url) as conn:
            # The counts and the dump see the same moment: pg_dump joins this transaction's snapshot.
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            snapshot_id = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            revisions, counts = _read_state(conn)
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    f"--snapshot={snapshot_id}",
                    f"--file={target}",
                    f"--dbname={conninfo}",
                ],
                env,
                "pg_dump",
            )
            conn.rollback()
    except psycopg.Error as problem:
        raise BackupError(f"could not read the PostgreSQL database: {problem}") from None
    version = _run([pg_dump, "--version"], env, "pg_dump").strip()
    return Snapshot(target, revisions, counts, version)


def _media_files(root: Path) -> Iterator[tuple[Path, str]]:
    """Every regular file of the media folder, and its name in the archive; not the hidden files
    a photo is written to before it is renamed into place."""
    if not root.is_dir():
        return
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = Path(folder) / name
            if name.startswith(".") or path.is_symlink() or not path.is_file():
                continue
            yield path, f"{MEDIA}/{path.relative_to(root).as_posix()}"


class _Hashing:
    """A file read through sha256."""

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self.sha = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.file.read(size)
        self.sha.update(data)
        return data


def _add_file(tar: tarfile.TarFile, path: Path, name: str) -> str:
    stat = path.stat()
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o644
    with open(path, "rb") as file:
        reader = _Hashing(file)
        tar.addfile(info, reader)
    return reader.sha.hexdigest()


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> str:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(datetime.now(UTC).timestamp()), 0o644
    tar.addfile(info, io.BytesIO(data))
    return hashlib.sha256(data).hexdigest()


# --- restore ---------------------------------------------------------------------------------------


def restore(settings: Settings, source: str | Path, *, force: bool = False) -> str:
    """Restore the archive at ``source`` into the configured database and media folder."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"there is no archive at {source}.")
    kind = database_kind(settings.database_url)
    try:
        tar = tarfile.open(source, "r:")  # noqa: SIM115  (plain tar, as ``backup`` writes it; closed below)
    except (tarfile.TarError, OSError) as problem:
        raise BackupError(f"{source} is not a backup of the portal (not a tar archive: {problem}).") from None
    with tar:
        members = _members(tar, source)
        manifest = _manifest(tar, members, source)
        sums = _sums(tar, members, source)
        if manifest["database"] != kind:
            raise BackupError(
                f"{source} holds a {_kind_name(manifest['database'])} database and PORTAL_DATABASE_URL "
                f"points to {_kind_name(kind)}: a backup restores only into the same kind of database "
                "(moving between SQLite and PostgreSQL is not supported). Nothing was changed."
            )
        _refuse_unless_empty(settings, kind, force)
        settings.media_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".portal-restore-", dir=settings.media_dir.parent))
        try:
            _unpack_checked(tar, members, sums, staging, source)
            database = staging / manifest["database_member"]
            if kind == "sqlite":
                _restore_sqlite(database, settings.database_url)
            else:
                _restore_postgresql(database, settings.database_url)
            counts = _count(kind, settings.database_url)
            if counts != manifest["counts"]:
                raise BackupError(
                    f"the restored database holds {counts}, the archive said {manifest['counts']}: "
                    "the database was restored but does not match its manifest; check it before use."
                )
            files = _move_media(staging / MEDIA, settings.media_dir)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return _restored(source, manifest, settings, files)


def _members(tar: tarfile.TarFile, source: Path) -> dict[str, tarfile.TarInfo]:
    try:
        infos = tar.getmembers()
    except (tarfile.TarError, OSError, EOFError) as problem:
        raise BackupError(f"{source} is damaged ({problem}); nothing was changed.") from None
    members: dict[str, tarfile.TarInfo] = {}
    for info in infos:
        if not (info.isreg() and _safe_name(info.name)) or info.name in members:
            raise BackupError(
                f"{source} holds {info.name!r}, which no backup of the portal holds; nothing was changed."
            )
        members[info.name] = info
    if SUMS not in members or MANIFEST not in members:
        raise BackupError(
            f"{source} is incomplete or not a backup of the portal (it has no {SUMS} or {MANIFEST}: "
            "a backup writes them last); nothing was changed."
        )
    return members


def _safe_name(name: str) -> bool:
    if name in {MANIFEST, SUMS, SQLITE_MEMBER, PG_MEMBER}:
        return True
    path = PurePosixPath(name)
    return (
        not path.is_absolute()
        and len(path.parts) > 1
        and path.parts[0] == MEDIA
        and "\\" not in name
        and all(part not in {"", "."} and not part.startswith(".") for part in path.parts)
    )


def _read_member(tar: tarfile.TarFile, info: tarfile.TarInfo, source: Path) -> bytes:
    try:
        file = tar.extractfile(info)
        assert file is not None  # a regular file (checked in _members)
        return file.read()
    except (tarfile.TarError, OSError, EOFError) as problem:
        raise BackupError(f"{source} is damaged at {info.name} ({problem}); nothing was changed.") from None


def _manifest(tar: tarfile.TarFile, members: dict[str, tarfile.TarInfo], source: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(_read_member(tar, members[MANIFEST], source))
        known = manifest["format"] == FORMAT and manifest["database"] in {"sqlite", "postgresql"}
        member = manifest["database_member"]
        counts = manifest["counts"]
    except (ValueError, KeyError, TypeError):
        raise BackupError(f"the {MANIFEST} of {source} cannot be read; nothing was changed.") from None
    if not known:
        raise BackupError(
            f"{source} was written by another version of the portal (format {manifest.get('format')!r}); "
            "nothing was changed."
        )
    expected = SQLITE_MEMBER if manifest["database"] == "sqlite" else PG_MEMBER
    if member != expected or member not in members or not isinstance(counts, dict):
        raise BackupError(f"{source} has no database in it; nothing was changed.")
    return dict(manifest)


def _sums(tar: tarfile.TarFile, members: dict[str, tarfile.TarInfo], source: Path) -> dict[str, str]:
    sums: dict[str, str] = {}
    for line in _read_member(tar, members[SUMS], source).decode("utf-8", "replace").splitlines():
        digest, _, name = line.partition("  ")
        sums[name] = digest
    listed, present = set(sums), set(members) - {SUMS}
    if listed != present:
        missing = sorted(listed - present)[:3] or sorted(present - listed)[:3]
        raise BackupError(
            f"{source} is damaged: its members and its {SUMS} do not agree (e.g. {', '.join(missing)}); "
            "nothing was changed."
        )
    return sums


def _unpack_checked(
    tar: tarfile.TarFile,
    members: dict[str, tarfile.TarInfo],
    sums: dict[str, str],
    staging: Path,
    source: Path,
) -> None:
    """Every member into ``staging``, each checked against its checksum, before anything is changed."""
    for name, info in members.items():
        if name in {SUMS, MANIFEST}:
            continue
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        sha = hashlib.sha256()
        try:
            file = tar.extractfile(info)
            assert file is not None
            with open(target, "wb") as out:
                while chunk := file.read(CHUNK):
                    sha.update(chunk)
                    out.write(chunk)
        except (tarfile.TarError, OSError, EOFError) as problem:
            raise BackupError(f"{source} is damaged at {name} ({problem}); nothing was changed.") from None
        if sha.hexdigest() != sums[name]:
            raise BackupError(
                f"{source} is damaged: {name} does not match its checksum; nothing was changed."
            )
        os.utime(target, (info.mtime, info.mtime))  # the orphan-photo cleanup goes by a file's time


def _refuse_unless_empty(settings: Settings, kind: str, force: bool) -> None:
    tickets = _tickets_in(kind, settings.database_url)
    media = next(iter(_media_files(settings.media_dir)), None)
    problems = []
    if tickets:
        problems.append(f"the database already has {tickets} ticket(s)")
    if media is not None:
        problems.append(f"the media folder {settings.media_dir} already has files")
    if problems and not force:
        raise BackupError(
            f"{' and '.join(problems)}: nothing was changed. A restore goes into an empty database and "
            "an empty media folder; add --force to restore over them (the database's contents are "
            "replaced by the backup's; media files of the same name are overwritten, others kept)."
        )


def _restore_sqlite(staged: Path, url: str) -> None:
    target_path = sqlite_path(url)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(staged)
    target = sqlite3.connect(target_path, timeout=30)
    try:
        source.backup(target)  # page by page under SQLite's locks, whatever the target held before
    except sqlite3.Error as problem:
        raise BackupError(f"could not write the SQLite database {target_path}: {problem}") from None
    finally:
        target.close()
        source.close()


def _restore_postgresql(staged: Path, url: str) -> None:
    conninfo, env = libpq_target(url)
    # One transaction: a failure leaves the database as it was. --clean drops what the dump makes.
    command = [_client_tool("pg_restore"), "--single-transaction", "--clean", "--if-exists", "--no-owner",
               "--no-privileges", f"--dbname={conninfo}", str(staged)]  # fmt: skip
    _run(command, env, "pg_restore")


def _move_media(staged: Path, media_dir: Path) -> int:
    moved = 0
    if not staged.is_dir():
        return moved
    for path in sorted(p for p in staged.rglob("*") if p.is_file()):
        target = media_dir / path.relative_to(staged)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(path, target)  # a rename: the staging folder is beside the media folder
        moved += 1
    return moved


# --- the database ---------------------------------------------------------------------------------


def database_kind(url: str) -> str:
    if url.startswith("sqlite"):
        if sqlite_path(url).name in {"", ":memory:"}:
            raise BackupError("an in-memory SQLite database cannot be backed up or restored.")
        return "sqlite"
    if url.startswith("postgresql"):
        return "postgresql"
    raise BackupError(f"PORTAL_DATABASE_URL is neither SQLite nor PostgreSQL ({make_url(url).drivername}).")


def sqlite_path(url: str) -> Path:
    return Path(make_url(url).database or "")


def libpq_target(url: str) -> tuple[str, dict[str, str]]:
    """The libpq address of a PostgreSQL URL, without its password (which goes in PGPASSWORD, so
    that it is not shown in the list of processes), and the environment for the client tools."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    conninfo = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return conninfo, env


def _pg_connect(url: str) -> Any:
    import psycopg

    return psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))


def _client_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found: install the PostgreSQL client tools of the server's major version "
            "or newer (Debian: apt-get install postgresql-client). Nothing was changed."
        )
    return found


def _run(command: list[str], env: dict[str, str], tool: str) -> str:
    """A PostgreSQL client tool's output; BackupError with its own words when it fails."""
    # The command is ours: the tool found on PATH, with the configured database's address.
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{tool} failed: {done.stderr.strip() or done.returncode}")
    return done.stdout


def _read_state(conn: Any) -> tuple[list[str], dict[str, int]]:
    """The alembic revisions and the counts, through a DB-API (sqlite3) or psycopg connection."""
    try:
        revisions = sorted(
            row[0] for row in conn.execute("SELECT version_num FROM alembic_version").fetchall()
        )
        counts = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in COUNTED}  # noqa: S608
    except Exception as problem:
        raise BackupError(
            f"the database has no portal tables ({problem}); run `portal db upgrade` first."
        ) from None
    return revisions, counts


def _tickets_in(kind: str, url: str) -> int:
    """How many tickets the target database holds (0 when it has no tables yet)."""
    if kind == "sqlite":
        path = sqlite_path(url)
        if not path.exists():
            return 0
        conn = sqlite3.connect(path, timeout=30)
        try:
            found = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ticket'"
            ).fetchone()
            return int(conn.execute("SELECT count(*) FROM ticket").fetchone()[0]) if found else 0
        finally:
            conn.close()
    import psycopg

    try:
        with _pg_connect(url) as conn:
            if conn.execute("SELECT to_regclass('ticket')").fetchone()[0] is None:
                return 0
            return int(conn.execute("SELECT count(*) FROM ticket").fetchone()[0])
    except psycopg.OperationalError as problem:
        raise BackupError(
            f"cannot reach the PostgreSQL database ({str(problem).strip()}); create it first "
            "(createdb), empty: the restore makes its tables. Nothing was changed."
        ) from None


def _count(kind: str, url: str) -> dict[str, int]:
    if kind == "sqlite":
        conn = sqlite3.connect(sqlite_path(url), timeout=30)
        try:
            return _read_state(conn)[1]
        finally:
            conn.close()

    with _pg_connect(url) as pg:
        return _read_state(pg)[1]


# --- words -----------------------------------------------------------------------------------------


def _portal_version() -> str:
    try:
        return metadata.version("jimei-portal")
    except metadata.PackageNotFoundError:
        return "unknown"


def _kind_name(kind: str) -> str:
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(kind, kind)


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _describe(manifest: dict[str, Any]) -> str:
    counts = manifest["counts"]
    return (
        f"{_kind_name(manifest['database'])} database at revision "
        f"{', '.join(manifest['alembic_revisions']) or '(none)'} with {counts['ticket']} ticket(s), "
        f"{counts['ticket_event']} event(s), {counts['rating']} rating(s), {counts['photo']} photo(s); "
        f"{manifest['media_files']} media file(s) ({_megabytes(manifest['media_bytes'])})"
    )


def _restored(source: Path, manifest: dict[str, Any], settings: Settings, files: int) -> str:
    from portal.ops.views import code_revisions

    lines = [
        f"restored {source} (made {manifest['created_at']} by portal {manifest['portal_version']}): "
        f"{_describe(manifest)}",
        f"database: {make_url(settings.database_url).render_as_string(hide_password=True)}",
        f"media: {files} file(s) into {settings.media_dir}",
    ]
    heads, known = code_revisions()
    revisions = set(manifest["alembic_revisions"])
    if revisions - known:
        lines.append("note: the backup comes from newer code than this: run that version of the portal.")
    elif revisions != heads:
        lines.append("note: the backup's database is older than this code: run `portal db upgrade`.")
    return "\n".join(lines)
