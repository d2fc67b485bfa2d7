"""One settings object, read once from ``PORTAL_*`` environment variables.

Every setting has an embedded default so that a fresh checkout runs with no
configuration: SQLite in ./data, media on local disk, in-process stores.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    return os.environ.get(f"PORTAL_{name}", default)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(f"PORTAL_{name}")
    return int(raw) if raw else default


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(f"PORTAL_{name}")
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _env_weights(name: str, default: tuple[int, int, int]) -> tuple[int, int, int]:
    raw = os.environ.get(f"PORTAL_{name}", "").strip()
    if not raw:
        return default
    parts = [p.strip() for p in raw.split(",")]
    if len(parts) != 3 or not all(p.isdecimal() for p in parts) or sum(int(p) for p in parts) == 0:
        raise ValueError(
            f"PORTAL_{name} must be three whole numbers, not all zero, for the response, resolution and "
            f"satisfaction rates, e.g. 10,50,40 (got {raw!r})"
        )
    return (int(parts[0]), int(parts[1]), int(parts[2]))


def _env_hosts(name: str) -> tuple[str, ...]:
    raw = os.environ.get(f"PORTAL_{name}", "")
    hosts = tuple(h.strip().lower() for h in raw.split(",") if h.strip())
    if "*" in hosts:
        raise ValueError(
            f"PORTAL_{name} must name the portal's own hosts, e.g. jimei.example.cn; * allows any"
        )
    return hosts


HANT_CONVERSIONS = ("s2hk", "s2twp", "s2tw", "s2t")


def _env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = os.environ.get(f"PORTAL_{name}", "").strip() or default
    if raw not in choices:
        raise ValueError(f"PORTAL_{name} must be one of {', '.join(choices)} (got {raw!r})")
    return raw


LOG_FORMATS = ("json", "text")
MIN_TOKEN_CHARS = 16


def _env_token(name: str) -> str:
    raw = os.environ.get(f"PORTAL_{name}", "").strip()
    if raw and len(raw) < MIN_TOKEN_CHARS:
        raise ValueError(
            f"PORTAL_{name} must be at least {MIN_TOKEN_CHARS} characters (a long random string), or empty"
        )
    return raw


def _persistent_secret(data_dir: Path) -> str:
    """A development secret kept in the data folder so restarts keep sessions valid."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


@dataclass(frozen=True)
class RateLimit:
    """At most ``count`` hits per ``seconds`` for one key."""

    count: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        count, _, window = text.partition("/")
        units = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
        number, _, unit = window.strip().partition(" ")
        if not unit:
            number, unit = "1", number
        return cls(int(count), int(number) * units[unit.rstrip("s")])


SOLVED_ANSWERS = ("no", "partly")  # the answers to "was it solved?" that may open an order


def _env_level(name: str, default: int) -> int:
    raw = os.environ.get(f"PORTAL_{name}", "").strip()
    if not raw:
        return default
    if not (raw.isdecimal() and int(raw) <= 5):
        raise ValueError(
            f"PORTAL_{name} must be a satisfaction level from 1 (very dissatisfied) to 5 (very satisfied), "
            f"or 0 for never (got {raw!r})"
        )
    return int(raw)


def _env_answers(name: str, default: str) -> frozenset[str]:
    raw = os.environ.get(f"PORTAL_{name}", default)
    answers = {a.strip().lower() for a in raw.split(",")} - {""}
    if not answers <= set(SOLVED_ANSWERS):
        raise ValueError(f'PORTAL_{name} must be "no", "no,partly", or empty for never (got {raw!r})')
    return frozenset(answers)


@dataclass(frozen=True)
class SupervisionRule:
    """When a resident's rating or the centre's mutual evaluation opens a supervision order by
    itself (DESIGN §4). Levels run from 1 (非常不满意) to 5 (非常满意); a threshold of 0 never fires.
    The defaults: 不满意 or worse, or "not solved", or a mutual evaluation of 不满意 or worse."""

    rating_at_or_below: int = 2
    when_solved: frozenset[str] = frozenset({"no"})
    mutual_at_or_below: int = 2

    def poor_rating(self, level: int, solved: str) -> bool:
        return level <= self.rating_at_or_below or solved in self.when_solved

    def poor_evaluation(self, kind: str, level: int) -> bool:
        """Only the centre's mutual evaluation counts: self- and peer evaluations inform."""
        return kind == "mutual" and level <= self.mutual_at_or_below

    @classmethod
    def from_env(cls) -> SupervisionRule:
        return cls(
            rating_at_or_below=_env_level("SUPERVISE_RATING_AT_OR_BELOW", 2),
            when_solved=_env_answers("SUPERVISE_WHEN_SOLVED", "no"),
            mutual_at_or_below=_env_level("SUPERVISE_MUTUAL_AT_OR_BELOW", 2),
        )

    def as_env(self) -> dict[str, str]:
        """The rule as the variables that set it, for ``portal settings``."""
        return {
            "PORTAL_SUPERVISE_RATING_AT_OR_BELOW": str(self.rating_at_or_below),
            "PORTAL_SUPERVISE_WHEN_SOLVED": ",".join(a for a in SOLVED_ANSWERS if a in self.when_solved),
            "PORTAL_SUPERVISE_MUTUAL_AT_OR_BELOW": str(self.mutual_at_or_below),
        }


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    redis_url: str
    secret_key: str
    media_dir: Path
    base_url: str
    sms_adapter: str
    debug: bool
    secure_cookies: bool
    max_upload_mb: int
    rating_window_days: int
    jobs_interval: int
    # The composite score's weights in percent: response, resolution, satisfaction (DESIGN §5).
    stats_weights: tuple[int, int, int] = (10, 50, 40)
    # Seconds a computed /stats report may be reused after the data changed (0: always recompute).
    stats_max_age: int = 60
    supervision: SupervisionRule = field(default_factory=SupervisionRule)
    # Host headers the portal answers to (Litestar refuses any other); empty: any, and then links
    # in SMS and QR codes come only from base_url (or, in development, a loopback address).
    allowed_hosts: tuple[str, ...] = ()
    # How Simplified text is shown to 繁體中文 readers when no Traditional text was written (OpenCC).
    hant_conversion: str = "s2hk"
    # The proxies (comma-separated addresses or networks, as uvicorn takes them) whose
    # X-Forwarded-For and X-Forwarded-Proto headers are believed: the limits per address count the
    # address they name. Any other sender's headers are ignored.
    forwarded_allow_ips: str = "127.0.0.1"
    rate_limits: dict[str, RateLimit] = field(default_factory=dict)
    # How log lines are written: one JSON object a line (for log collectors), or plain text.
    log_format: str = "json"
    # The Bearer token that opens /metrics from anywhere; empty: only from this machine (loopback).
    metrics_token: str = ""

    @classmethod
    def from_env(cls) -> Settings:
        data_dir = Path(_env("DATA_DIR", str(PROJECT_ROOT / "data"))).resolve()
        return cls(
            data_dir=data_dir,
            database_url=_env("DATABASE_URL", f"sqlite:///{data_dir / 'portal.db'}"),
            redis_url=_env("REDIS_URL", ""),
            secret_key=_env("SECRET_KEY", "") or _persistent_secret(data_dir),
            media_dir=Path(_env("MEDIA_DIR", str(data_dir / "media"))).resolve(),
            base_url=_env("BASE_URL", "").rstrip("/"),
            sms_adapter=_env("SMS_ADAPTER", "console"),
            debug=_env_bool("DEBUG", False),
            secure_cookies=_env_bool("SECURE_COOKIES", False),
            max_upload_mb=_env_int("MAX_UPLOAD_MB", 45),
            rating_window_days=_env_int("RATING_WINDOW_DAYS", 7),
            jobs_interval=_env_int("JOBS_INTERVAL", 300),
            stats_weights=_env_weights("STATS_WEIGHTS", (10, 50, 40)),
            stats_max_age=_env_int("STATS_MAX_AGE", 60),
            hant_conversion=_env_choice("HANT_CONVERSION", "s2hk", HANT_CONVERSIONS),
            supervision=SupervisionRule.from_env(),
            allowed_hosts=_env_hosts("ALLOWED_HOSTS"),
            log_format=_env_choice("LOG_FORMAT", "json", LOG_FORMATS),
            metrics_token=_env_token("METRICS_TOKEN"),
            forwarded_allow_ips=_env("FORWARDED_ALLOW_IPS", "127.0.0.1").strip() or "127.0.0.1",
            rate_limits={
                "report": RateLimit.parse(_env("RATE_REPORT", "60/hour")),
                "report_phone": RateLimit.parse(_env("RATE_REPORT_PHONE", "5/day")),  # per reporter's number
                "track": RateLimit.parse(_env("RATE_TRACK", "30/10 minutes")),
                "unlock": RateLimit.parse(_env("RATE_UNLOCK", "5/15 minutes")),
                # all addresses together, per ticket: past it the digits open it from nowhere (services.py)
                "unlock-ticket": RateLimit.parse(_env("RATE_UNLOCK_TICKET", "20/day")),
                "support": RateLimit.parse(_env("RATE_SUPPORT", "30/hour")),
                # codes texted to confirm a "me too" phone: per number, and per address
                "confirm_phone": RateLimit.parse(_env("RATE_CONFIRM_PHONE", "3/hour")),
                "confirm_address": RateLimit.parse(_env("RATE_CONFIRM_ADDRESS", "10/hour")),
                # tries of texted codes: per number (a code is tied to one), and, more loosely, per
                # address, so that one guesser behind a shared address does not block the others
                "code_number": RateLimit.parse(_env("RATE_CODE_NUMBER", "5/15 minutes")),
                "code_address": RateLimit.parse(_env("RATE_CODE_ADDRESS", "30/15 minutes")),
                "login": RateLimit.parse(_env("RATE_LOGIN", "20/15 minutes")),
                # /stats figures computed afresh (cached answers are not counted), per address
                "stats": RateLimit.parse(_env("RATE_STATS", "30/10 minutes")),
                # surveys' responses stored, per address (a script cannot stuff a browser survey)
                "survey_submit": RateLimit.parse(_env("RATE_SURVEY_SUBMIT", "60/hour")),
            },
        )

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
