import pytest
from tests.e2e.helpers import run_axe, format_violations, screenshot, fill_report, submit_report, tracking_code

@pytest.mark.e2e
def test_scratch(page):
    for url in ["/", "/report", "/track", "/tickets", "/privacy", "/nope"]:
        r = page.goto(url)
        print(url, r.status, page.title())
        print(format_violations(url, run_axe(page)))
        screenshot(page, "scratch" + url.replace("/", "_"))
    page.goto("/report")
    fill_report(page, community="岑头社区", phone="13812345678")
    submit_report(page)
    page.wait_for_load_state()
    print(page.url, page.title())
    print(tracking_code(page))
    print(format_violations("done", run_axe(page)))
    screenshot(page, "scratch_done")
