"""Helpers shared by the end-to-end tests (axe-core, screenshots, report form steps)."""

from __future__ import annotations

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

CATEGORY = "路灯不亮"  # streetlight
DESCRIPTION = "岑头社区公交站旁的路灯一周都不亮，晚上很黑，老人走路不安全。"
PHONE = "13812345678"


def fill_report(
    page: Page,
    *,
    category: str | None = CATEGORY,
    description: str = DESCRIPTION,
    community: str | None = None,
    phone: str = "",
) -> None:
    """Fill the report form on the current page the way a resident would (labels, not selectors)."""
    if category:
        page.get_by_label(category, exact=True).check()
    page.get_by_label("Describe the problem").fill(description) if False else page.locator(
        "#description"
    ).fill(description)
    if community:
        page.locator("#community").select_option(label=community)
    if phone:
        page.locator("#phone").fill(phone)


def submit_report(page: Page) -> None:
    page.locator("button[type=submit][data-submit]").click()


def tracking_code(page: Page) -> str:
    return page.locator(".tracking-code strong").inner_text().strip()
