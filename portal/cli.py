"""The ``portal`` command: serve, migrate, load demonstration data, and operators' helpers."""

from __future__ import annotations

import argparse
import sys

from portal.settings import PROJECT_ROOT, SupervisionRule, get_settings


def alembic_config(database_url: str | None = None) -> object:
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    config.attributes["database_url"] = database_url or get_settings().database_url
    return config


def db_upgrade(database_url: str | None = None) -> int | None:
    """Apply every migration, then build the figures' facts if the database has tickets but no facts
    yet (one from before the facts table); returns the facts written, or None."""
    from alembic import command
    from portal.db import make_engine
    from portal.stats.facts_table import ensure_facts

    url = database_url or get_settings().database_url
    command.upgrade(alembic_config(url), "head")  # type: ignore[arg-type]
    engine = make_engine(url, pool=False)
    try:
        return ensure_facts(engine)
    finally:
        engine.dispose()


def stats_rebuild() -> None:
    """Every ticket's facts afresh: after a bulk load that bypassed the portal, or to check them."""
    import time

    from portal.db import make_engine
    from portal.stats.facts_table import rebuild_facts

    engine = make_engine(get_settings().database_url, pool=False)
    started = time.monotonic()

    def progress(written: int, last_id: int) -> None:
        print(f"  {written:,} facts, up to ticket {last_id:,}", flush=True)

    try:
        written = rebuild_facts(engine, report=progress)
    finally:
        engine.dispose()
    print(f"rebuilt {written:,} facts in {time.monotonic() - started:.1f} s")


def db_check(database_url: str | None = None) -> None:
    """Fails when the models and the migrations disagree (a migration is missing)."""
    from alembic import command

    command.check(alembic_config(database_url))  # type: ignore[arg-type]


def _fresh_metrics_folder() -> str:
    """A new, empty folder for this run's metrics, named with this process's id; folders that
    earlier runs could not remove (the process was killed) are removed once their process is gone."""
    import os
    import shutil
    import tempfile
    from pathlib import Path

    for old in Path(tempfile.gettempdir()).glob("portal-metrics-*-*"):
        owner = old.name.split("-")[2]
        if owner.isdecimal() and not _running(int(owner)):
            shutil.rmtree(old, ignore_errors=True)
    return tempfile.mkdtemp(prefix=f"portal-metrics-{os.getpid()}-")


def _running(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _stop(signum: int, frame: object) -> None:
    """SIGTERM before uvicorn takes over its signals (or raised again after it has shut down
    gracefully): leave through ``finally``, so that the metrics folder is removed."""
    sys.exit(0)


def serve(host: str, port: int, workers: int, reload: bool, forwarded_allow_ips: str | None = None) -> None:
    import logging
    import os
    import shutil
    import signal

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # Each worker keeps its metrics in this folder and /metrics adds them up (prometheus_client's
    # multiprocess mode). It must be set before prometheus_client is first imported, in this process
    # and in the workers (which inherit it), and must start empty: a fresh one for every run.
    signal.signal(signal.SIGTERM, _stop)
    metrics_dir = _fresh_metrics_folder()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        import uvicorn

        from portal.ops.logs import logging_config
        from portal.services import link_warning

        logging_config(settings.log_format).configure()  # the workers' own lines: the app's format
        # Through the log, in its format: a JSON reader of the log must not trip on a bare line.
        log = logging.getLogger("portal")
        if (warning := link_warning(settings, host)) is not None:
            log.warning(warning)
        if not settings.redis_url and (workers > 1 or not settings.database_url.startswith("sqlite")):
            log.warning(
                "PORTAL_REDIS_URL is not set: each process counts the rate limits on its own, so several "
                "workers or instances let several times the limits through. Set it to a Redis shared by "
                "every instance (see docs/deploy.md)."
            )
        uvicorn.run(
            "portal.app:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            reload=reload,
            # X-Forwarded-For/-Proto are believed from these senders only (the load balancer): the
            # limits per address count the address the proxy saw, which a client cannot choose.
            proxy_headers=True,
            forwarded_allow_ips=forwarded_allow_ips or settings.forwarded_allow_ips,
            access_log=False,  # the app logs one line per request itself (portal.requests)
            log_config=None,
            log_level="info",
        )
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)


def demo() -> None:
    from portal.db import make_engine
    from portal.demo import load_demo

    settings = get_settings()
    engine = make_engine(settings.database_url)
    summary = load_demo(engine)
    print(summary)


def user_create(username: str, role: str, department: str, display_name: str, password_stdin: bool) -> int:
    """Make a staff account; the password is asked twice (or read from standard input)."""
    import getpass

    from sqlmodel import Session, select

    from portal.accounts.models import StaffRole
    from portal.accounts.service import AccountError, create_user
    from portal.db import make_engine
    from portal.directory.models import Department

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != password:
            print("portal: the two passwords are not the same; nothing was changed.", file=sys.stderr)
            return 1
    engine = make_engine(get_settings().database_url)
    with Session(engine) as session:
        department_id = None
        if department:
            found = session.exec(select(Department).where(Department.slug == department)).first()
            if found is None:
                print(f"portal: no department with the slug {department!r}.", file=sys.stderr)
                return 1
            department_id = found.id
        try:
            user = create_user(
                session,
                username=username,
                password=password,
                role=StaffRole(role),
                display_name=display_name,
                department_id=department_id,
            )
        except AccountError as problem:
            print(f"portal: {problem.message}", file=sys.stderr)
            return 1
        session.commit()
        print(f"created {user.role} {user.username!r}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="portal", description="Jimei Civic Portal")
    commands = parser.add_subparsers(dest="command", required=True)

    serve_cmd = commands.add_parser("serve", help="run the web server")
    serve_cmd.add_argument("--host", default="127.0.0.1")
    serve_cmd.add_argument("--port", type=int, default=8000)
    serve_cmd.add_argument("--workers", type=int, default=1)
    serve_cmd.add_argument("--reload", action="store_true", help="restart on code changes (development)")
    serve_cmd.add_argument(
        "--forwarded-allow-ips",
        default=None,
        help="the proxies whose X-Forwarded-For is believed (default: PORTAL_FORWARDED_ALLOW_IPS, 127.0.0.1)",
    )

    db_cmd = commands.add_parser("db", help="database migrations")
    db_sub = db_cmd.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply every migration")
    db_sub.add_parser("check", help="fail if the models need a migration that does not exist")
    backup_cmd = db_sub.add_parser(
        "backup", help="write the database and the media folder into one archive (safe while serving)"
    )
    backup_cmd.add_argument("dest", metavar="DEST", help="the archive to write (a .tar file; must not exist)")
    restore_cmd = db_sub.add_parser(
        "restore", help="restore an archive of `portal db backup` into an empty database and media folder"
    )
    restore_cmd.add_argument("source", metavar="SOURCE", help="the archive to restore")
    restore_cmd.add_argument(
        "--force",
        action="store_true",
        help="restore even over a database that has tickets or a media folder that has files",
    )

    commands.add_parser("demo", help="load demonstration data (safe to run twice)")

    user_cmd = commands.add_parser("user", help="staff accounts")
    user_sub = user_cmd.add_subparsers(dest="user_command", required=True)
    create_cmd = user_sub.add_parser("create", help="make a staff account (the first one: --role admin)")
    create_cmd.add_argument("--username", required=True)
    create_cmd.add_argument(
        "--role",
        default="admin",
        choices=["admin", "dispatcher", "department", "press", "press_lead", "volunteer", "grid_worker"],
    )
    create_cmd.add_argument("--department", default="", help="the department's slug, for department staff")
    create_cmd.add_argument("--display-name", default="")
    create_cmd.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    stats_cmd = commands.add_parser("stats", help="the public figures")
    stats_sub = stats_cmd.add_subparsers(dest="stats_command", required=True)
    stats_sub.add_parser(
        "rebuild", help="rebuild every ticket's facts (after a bulk load; safe while serving)"
    )
    commands.add_parser("settings", help="print the settings in force (secrets hidden)")
    jobs_cmd = commands.add_parser("jobs", help="background jobs")
    jobs_sub = jobs_cmd.add_subparsers(dest="jobs_command", required=True)
    jobs_sub.add_parser(
        "run", help="run the jobs once now (skipped while another instance or process is running them)"
    )

    args = parser.parse_args(argv)
    try:
        get_settings()
    except ValueError as problem:  # a PORTAL_* variable that makes no sense: say which, start nothing
        print(f"portal: {problem}", file=sys.stderr)
        return 2
    if args.command == "serve":
        serve(args.host, args.port, args.workers, args.reload, args.forwarded_allow_ips)
    elif args.command == "db" and args.db_command == "upgrade":
        built = db_upgrade()
        if built is not None:
            print(f"built {built:,} facts for the public figures")
        print("database is up to date")
    elif args.command == "db" and args.db_command == "check":
        db_check()
        print("models and migrations agree")
    elif args.command == "db" and args.db_command in {"backup", "restore"}:
        from portal.ops import backup

        try:
            if args.db_command == "backup":
                print(backup.backup(get_settings(), args.dest))
            else:
                print(backup.restore(get_settings(), args.source, force=args.force))
        except backup.BackupError as problem:
            print(f"portal: {problem}", file=sys.stderr)
            return 1
    elif args.command == "demo":
        demo()
    elif args.command == "user" and args.user_command == "create":
        return user_create(args.username, args.role, args.department, args.display_name, args.password_stdin)
    elif args.command == "jobs" and args.jobs_command == "run":
        from portal.db import make_engine
        from portal.jobs import run_jobs
        from portal.services import Services

        settings = get_settings()
        print(run_jobs(Services.build(settings, make_engine(settings.database_url))))
    elif args.command == "stats" and args.stats_command == "rebuild":
        stats_rebuild()
    elif args.command == "settings":
        settings = get_settings()
        for name, value in vars(settings).items():
            if isinstance(value, SupervisionRule):
                for variable, rule in value.as_env().items():
                    print(f"{variable} = {rule}")
                continue
            shown = "(set)" if name in {"secret_key", "metrics_token"} and value else value
            print(f"PORTAL_{name.upper()} = {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
