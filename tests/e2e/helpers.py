"""Helpers shared by the end-to-end tests (axe-core, screenshots, report form steps)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_URL = "/static/__axe.js"
SCREENS = ROOT / "test-results" / "screens"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

# --- axe-core --------------------------------------------------------------------------------


def run_axe(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.x A/AA violations on the current page."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(url=AXE_URL)
        page.wait_for_function("() => typeof window.axe === 'object'")
    result = page.evaluate(
        """async (tags) => {
            const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160),
                                          summary: n.failureSummary}))
            }));
        }""",
        AXE_TAGS,
    )
    return list(result)


def format_violations(where: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"axe-core found {len(violations)} violation(s) on {where}:"]
    for v in violations:
        lines.append(f"  [{v['id']}] ({v['impact']}) {v['help']}")
        for node in v["nodes"][:8]:
            summary = " ".join((node["summary"] or "").split())[:220]
            lines.append(f"      {node['target']}  {node['html']!r}  -- {summary}")
        if len(v["nodes"]) > 8:
            lines.append(f"      … and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


# --- screenshots -----------------------------------------------------------------------------


def screenshot(page: Page, name: str) -> Path:
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


# --- the report form -------------------------------------------------------------------------

CATEGORY = "路灯不亮"  # streetlight, as the zh-Hans form names it
CATEGORY_SLUG = "streetlight"
DESCRIPTION = "岑头社区公交站旁的路灯一周都不亮，晚上很黑，老人走路不安全。"
PHONE = "13812345678"
CJK = re.compile(r"[\u4e00-\u9fff]")


def fill_report(
    page: Page,
    *,
    category: str | None = CATEGORY_SLUG,
    description: str = DESCRIPTION,
    community: str | None = None,
    phone: str = "",
    name: str = "",
    private: bool = False,
) -> None:
    """Fill the report form on the current page the way a resident would, field by field."""
    if category:
        page.locator(f"#category-{category}").check()
    page.locator("#description").fill(description)
    if community:
        page.locator("#community").select_option(label=community)
    if name:
        page.locator("#name").fill(name)
    if phone:
        page.locator("#phone").fill(phone)
    if private:
        page.locator("#visibility-private").check()


def submit_report(page: Page) -> None:
    with page.expect_navigation():
        page.locator("button[data-submit]").click()


def tracking_code(page: Page) -> str:
    return page.locator(".tracking-code strong").inner_text().strip()


def report_ticket(page: Page, **fields: Any) -> str:
    """Report a problem through the form (community chosen from the list); the tracking code."""
    page.goto("/report")
    fields.setdefault("community", "岑头社区")
    fill_report(page, **fields)
    submit_report(page)
    assert "/report/done" in page.url, f"the report was not accepted: {page.url}"
    return tracking_code(page)
