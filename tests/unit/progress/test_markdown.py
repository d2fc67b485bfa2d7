"""Markdown for stories: what it renders, and that nothing executable survives it."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from portal.progress.markdown import (
    FOREIGN_IMAGE,
    OTHER_STORY_IMAGE,
    RAW_HTML,
    TAGS,
    UNSAFE_LINK,
    problems,
    render,
    sanitise,
)

DIGEST = "ab" * 32
OTHER = "cd" * 32
IMAGE = f"/media/{DIGEST}/full"

ATTACKS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="/media/' + DIGEST + '/full" onerror="alert(1)">',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">x</text></a></svg>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<a href="javascript:alert(1)">x</a>',
    "<iframe src=javascript:alert(1)></iframe>",
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    "<form action=javascript:alert(1)><button>go</button></form>",
    "<details open ontoggle=alert(1)>x</details>",
    "<!-- x --><script>alert(1)</script>",
    "<div><p>unclosed <b onclick=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](<java script:alert(1)>)",
    "[x](javascript&colon;alert(1))",
    "[x](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))",
    "[x](&#x6A;avascript:alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](jav&#x0A;ascript:alert(1))",
    "[x](&#0000106avascript:alert(1))",
    "[x](%6Aavascript:alert(1))",
    "[x](\u0000javascript:alert(1))",
    "[x](\u200bjavascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](file:///etc/passwd)",
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "[x][ref]\n\n[ref]: <javascript:alert(1)> 'title'",
    "![x](javascript:alert(1))",
    '![x](x" onerror="alert(1))',
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](http://evil.example/track.png)",
    f'![x]({IMAGE} "t\\" onerror=\\"alert(1)")',
    '[x](http://a.example" onclick="alert(1))',
    '[x](http://a.example "title\\" onmouseover=alert(1) x=\\"")',
    "**<img src=x onerror=alert(1)>**",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "    <script>alert(1)</script>",
    "[<img src=x onerror=alert(1)>](http://x.example)",
    f"![<img src=x onerror=alert(1)>]({IMAGE})",
    "> <script>alert(1)</script>",
    "* [x](javascript:alert(1))\n* <svg onload=alert(1)>",
    "| a |\n|---|\n| <script>alert(1)</script> |",
    "| a |\n|---|\n| [x](javascript:alert(1)) |",
    '<a href="&#14;javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "[x](javascript://%0aalert(1))",
    '[a](<javascript:alert(1)>)[b](javascript:alert(1) "t")',
    "__[x](javascript:alert(1))__",
    "<<script>script>alert(1)<</script>/script>",
    "<scr<script>ipt>alert(1)</script>",
    "<img src=`x`onerror=alert(1)>",
    "<a/href=javascript:alert(1)>x</a>",
    "<x onmouseover=alert(1)>hover</x>",
    "<input autofocus onfocus=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<body onload=alert(1)>",
    "<link rel=stylesheet href=//evil.example/x.css>",
]


class _Collector(HTMLParser):
    """Every tag and attribute of the output, with character references decoded as a browser would."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def _squeezed(value: str) -> str:
    return re.sub(r"[\x00-\x20\x7f\u200b]+", "", value).lower()


def assert_harmless(output: str) -> None:
    collector = _Collector()
    collector.feed(output)
    for tag, attrs in collector.tags:
        assert tag in TAGS, f"unexpected <{tag}> in {output!r}"
        for name, value in attrs.items():
            assert not name.startswith("on"), f"event handler {name} in {output!r}"
            assert name not in {"style", "srcset", "formaction", "xlink:href", "action"}, output
            text = _squeezed(value or "")
            for bad in ("javascript:", "vbscript:", "data:", "file:"):
                assert not text.startswith(bad), f"{name}={value!r} in {output!r}"
            if name == "href":  # a scheme as browsers read one: letters, digits, + - . before a colon
                scheme = re.match(r"^([a-z][a-z0-9+.\-]*):", text)
                assert scheme is None or scheme.group(1) in {"http", "https", "mailto"}, f"href={value!r}"
            if name == "src":
                assert re.fullmatch(r"/media/[0-9a-f]{64}/(full|thumb)", value or ""), f"src={value!r}"
    assert "<script" not in output.lower() and "<svg" not in output.lower()


@pytest.mark.parametrize("attack", ATTACKS)
def test_nothing_executable_survives_rendering(attack: str) -> None:
    assert_harmless(str(render(attack)))
    assert_harmless(str(render(attack, {DIGEST: (800, 600)})))


@pytest.mark.parametrize("attack", ATTACKS)
def test_the_sanitiser_alone_stops_raw_html(attack: str) -> None:
    """The second layer holds even if the renderer let HTML through."""
    assert_harmless(sanitise(attack))


# Harmless as written: code, plain text, or an address a browser reads as relative.
SHOWN_AS_WRITTEN = {
    "[x](&#0000106avascript:alert(1))",
    '![x](x" onerror="alert(1))',
    f'![x]({IMAGE} "t\\" onerror=\\"alert(1)")',
    '[x](http://a.example" onclick="alert(1))',
    '[x](http://a.example "title\\" onmouseover=alert(1) x=\\"")',
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "    <script>alert(1)</script>",
    "<img src=`x`onerror=alert(1)>",
}


@pytest.mark.parametrize("attack", [a for a in ATTACKS if a not in SHOWN_AS_WRITTEN])
def test_the_editor_names_the_problem(attack: str) -> None:
    """What the renderer would show as text or drop is told to the editor before saving."""
    found = {message for message, _values in problems(attack)}
    assert found & {RAW_HTML, UNSAFE_LINK, FOREIGN_IMAGE}, attack


def test_the_exceptions_are_real_attacks() -> None:
    assert set(ATTACKS) >= SHOWN_AS_WRITTEN


def test_commonmark_with_tables_lists_quotes_and_code() -> None:
    text = (
        "# 拆栏透绿\n\n## 第一期\n\n### 细节\n\n#### 更细\n\n"
        "段落，*强调*与**加粗**，`代码`。\n\n"
        "- 一\n- 二\n\n3. 三\n4. 四\n\n> 引用\n\n```\ncode block\n```\n\n---\n\n"
        "| 街道 | 完成 |\n|:--|--:|\n| 侨英 | 80% |\n"
    )
    out = str(render(text))
    for piece in (
        "<h2>拆栏透绿</h2>",
        "<h3>第一期</h3>",
        "<h4>细节</h4>",
        "<h4>更细</h4>",
        "<em>强调</em>",
        "<strong>加粗</strong>",
        "<code>代码</code>",
        "<ul>",
        '<ol start="3">',
        "<blockquote>",
        "<pre><code>code block",
        "<hr>",
        '<th class="align-left">街道</th>',
        '<td class="align-right">80%</td>',
    ):
        assert piece in out, piece
    assert "<h1" not in out and "style=" not in out


def test_links_get_rel_and_raw_html_is_text() -> None:
    out = str(
        render('[集美](https://www.jimei.gov.cn "区政府") [邮件](mailto:a@b.cn) [本站](/progress) <b>x</b>')
    )
    assert '<a href="https://www.jimei.gov.cn" title="区政府" rel="noopener noreferrer">集美</a>' in out
    assert '<a href="mailto:a@b.cn" rel="noopener noreferrer">邮件</a>' in out
    assert '<a href="/progress" rel="noopener noreferrer">本站</a>' in out
    assert "&lt;b&gt;x&lt;/b&gt;" in out


def test_no_linkify() -> None:
    assert "<a" not in str(render("see www.example.com or https://example.com"))


def test_an_image_alone_with_alt_text_is_a_figure() -> None:
    out = str(render(f"![侨英街道拆除围栏后]({IMAGE})", {DIGEST: (1600, 1200)}))
    assert out.strip() == (
        f'<figure><img src="{IMAGE}" alt="侨英街道拆除围栏后" width="1600" height="1200">'
        "<figcaption>侨英街道拆除围栏后</figcaption></figure>"
    )
    inline = str(render(f"前 ![图]({IMAGE}) 后"))
    assert "<figure>" not in inline and f'<img src="{IMAGE}" alt="图">' in inline
    no_alt = str(render(f"![]({IMAGE})"))
    assert "<figure>" not in no_alt and "<img" in no_alt


def test_thumbnails_are_sized_as_stored() -> None:
    out = str(render(f"![a](/media/{DIGEST}/thumb)", {DIGEST: (1600, 1200)}))
    assert 'width="400" height="300"' in out


def test_only_this_portals_images_and_a_storys_own() -> None:
    text = f"![a]({IMAGE})\n\n![b](/media/{OTHER}/full)\n\n![c](https://evil.example/x.jpg)\n\n![d](/media/{DIGEST}/huge)"
    anywhere = str(render(text))
    assert IMAGE in anywhere and OTHER in anywhere and "evil" not in anywhere and "huge" not in anywhere
    own = str(render(text, {DIGEST: (10, 10)}))
    assert IMAGE in own and OTHER not in own
    assert (OTHER_STORY_IMAGE, {"link": f"/media/{OTHER}/full"}) in problems(text, {DIGEST: (10, 10)})
    assert (FOREIGN_IMAGE, {"link": "https://evil.example/x.jpg"}) in problems(text)


def test_good_markdown_has_no_problems() -> None:
    text = f"# 标题\n\n[a](https://x.cn) [b](/t/ABC) [c](mailto:x@y.cn) [d](#top)\n\n![图]({IMAGE})\n\n| a |\n|---|\n| 1 |"
    assert problems(text, {DIGEST: (1, 1)}) == []
