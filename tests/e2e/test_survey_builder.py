"""The survey builder on a phone (360×800) in elder mode. Building, attaching and opening a survey, with
axe-core on every page of the builder, is the first step of the survey's end-to-end chain
(tests/e2e/test_surveys.py, with tests/e2e/surveys_steps.build_survey)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy.engine import Engine

from portal.accounts.models import StaffRole
from tests.e2e.conftest import ContextFactory
from tests.e2e.helpers import screenshot
from tests.e2e.surveys_steps import axe_clean
from tests.e2e.test_staff import make_staff, staff_browser

pytestmark = pytest.mark.e2e


def test_the_builder_in_elder_mode_fits_a_phone(new_context: ContextFactory, engine: Engine) -> None:
    make_staff(engine, "press-elder", StaffRole.PRESS)
    page = staff_browser(new_context, "press-elder")
    page.goto("/staff/surveys/new?elder=on")
    expect(page.locator("body")).to_have_class("elder")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    axe_clean(page, "the new survey form in elder mode")
    screenshot(page, "survey-builder-new-elder")
