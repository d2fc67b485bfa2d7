"""A test client that checks every HTML page it fetches, the way a careful reviewer would."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser
from typing import Any

from litestar.testing import TestClient
from litestar.testing.transport import TestClientTransport


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.h1_count = 0
        self.h1_text = ""
        self.title = ""
        self.scripts: list[dict[str, str | None]] = []
        self._in: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.append(str(values["id"]))
        if tag == "h1":
            self.h1_count += 1
        if tag == "script":
            self.scripts.append(values)
        if tag in {"h1", "title"}:
            self._in.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._in and self._in[-1] == tag:
            self._in.pop()

    def handle_data(self, data: str) -> None:
        if "h1" in self._in:
            self.h1_text += data
        if "title" in self._in:
            self.title += data


def check_page(html: str) -> _PageParser:
    parser = _PageParser()
    parser.feed(html)
    assert parser.h1_count == 1, f"expected one <h1>, found {parser.h1_count}"
    heading = " ".join(parser.h1_text.split())
    title = " ".join(parser.title.split())
    title = re.sub(r"^(Error:|错误：|錯誤：)\s*", "", title)
    assert title.startswith(heading), f"<title> {title!r} does not start with the <h1> {heading!r}"
    duplicates = [i for i, n in Counter(parser.ids).items() if n > 1]
    assert not duplicates, f"duplicate ids: {duplicates}"
    for script in parser.scripts:
        assert script.get("nonce"), f"script without the CSP nonce: {script}"
    return parser


class _AddressedTransport(TestClientTransport):  # type: ignore[type-arg]
    """Requests arrive from ``address`` instead of the test client's fixed "testclient"."""

    def __init__(self, address: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.address = address

    def parse_request(self, request: Any) -> dict[str, Any]:
        return {**super().parse_request(request), "client": (self.address, 50000)}


class PageClient(TestClient):  # type: ignore[type-arg]
    """Every full HTML page is checked; htmx fragments are not pages and are left alone.
    ``address`` makes the requests come from that network address (another person, elsewhere)."""

    def __init__(self, *args: Any, address: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if address is not None:
            self._transport = _AddressedTransport(address, client=self)
        # Message ids are English: tests read the English pages unless they ask for another language.
        self.headers["Accept-Language"] = "en"

    def request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        response = super().request(method, url, *args, **kwargs)
        is_fragment = (kwargs.get("headers") or {}).get("HX-Request") == "true"
        if "text/html" in response.headers.get("content-type", "") and not is_fragment:
            check_page(response.text)
        return response

    def csrf(self) -> str:
        if "csrftoken" not in self.cookies:
            self.get("/")
        return str(self.cookies["csrftoken"])
