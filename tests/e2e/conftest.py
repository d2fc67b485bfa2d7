"""End-to-end fixtures: the real app served by uvicorn on a free port, and one headless Chromium.

The server runs the session's ``app`` fixture (tests/conftest.py) in a background thread, so it uses the
same database as the unit tests (SQLite or PostgreSQL, chosen by PORTAL_TEST_DATABASE) and the autouse
clean-slate fixture deletes the tickets after each test.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from PIL import ExifTags, Image
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from sqlalchemy import text
from sqlalchemy.engine import Engine

from tests.e2e.helpers import AXE_JS, AXE_URL

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
VIEWPORT = {"width": 360, "height": 800}

# A point well inside grid cell JM-02-01: 叶厝社区, 侨英街道 (see portal/demo_data.py).
JIMEI_POINT = {"latitude": 24.605, "longitude": 118.08}
JIMEI_COMMUNITY = "叶厝社区"
JIMEI_STREET = "侨英街道"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(app: Any) -> Iterator[str]:
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="e2e-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the e2e server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


ContextFactory = Callable[..., BrowserContext]


@pytest.fixture
def new_context(browser: Browser, live_server: str) -> Iterator[ContextFactory]:
    """Make a phone-sized zh-CN browser context; every context is closed after the test."""
    made: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        settings: dict[str, Any] = {
            "viewport": VIEWPORT,
            "locale": "zh-CN",
            "base_url": live_server,
            "timezone_id": "Asia/Shanghai",
        }
        settings.update(options)
        context = browser.new_context(**settings)
        context.set_default_timeout(10_000)
        # axe-core, served from the site's own origin so the strict CSP (script-src 'self') allows it.
        context.route(
            f"**{AXE_URL}",
            lambda route: route.fulfill(path=AXE_JS, content_type="text/javascript; charset=utf-8"),
        )
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture
def page(new_context: ContextFactory) -> Page:
    return new_context().new_page()


@pytest.fixture
def ticket_count(engine: Engine) -> Callable[[], int]:
    def count() -> int:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM ticket")).scalar_one())

    return count


@pytest.fixture(scope="session")
def phone_photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 12-megapixel JPEG as a phone makes it: 4032×3024 with camera and GPS metadata."""
    path = tmp_path_factory.mktemp("photos") / "IMG_20250601_093000.jpg"
    base = Image.linear_gradient("L").resize((4032, 3024))
    noise = Image.effect_noise((4032, 3024), 40)
    image = Image.merge("RGB", (base, noise, base.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    exif = image.getexif()
    exif[ExifTags.Base.Make] = "Xiaomi"
    exif[ExifTags.Base.Model] = "Redmi Note 12"
    exif[ExifTags.Base.DateTime] = "2025:06:01 09:30:00"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (24.0, 36.0, 18.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (118.0, 4.0, 48.0)
    image.save(path, "JPEG", quality=90, exif=exif)
    with Image.open(path) as check:  # the fixture itself must be what it claims to be
        assert check.size == (4032, 3024)
        assert check.getexif().get_ifd(ExifTags.IFD.GPSInfo).get(ExifTags.GPS.GPSLatitude)
    return path
