"""Settings from PORTAL_* variables: the supervision rule, and refusing values that make no sense."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.cli import main
from portal.settings import Settings, SupervisionRule, get_settings

VARIABLES = (
    "PORTAL_SUPERVISE_RATING_AT_OR_BELOW",
    "PORTAL_SUPERVISE_WHEN_SOLVED",
    "PORTAL_SUPERVISE_MUTUAL_AT_OR_BELOW",
)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PORTAL_SECRET_KEY", "settings-test")
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_the_default_rule_is_the_one_in_the_design() -> None:
    rule = SupervisionRule()
    assert [rule.poor_rating(level, "yes") for level in range(1, 6)] == [True, True, False, False, False]
    assert rule.poor_rating(5, "no") and not rule.poor_rating(4, "partly")
    assert [rule.poor_evaluation("mutual", level) for level in range(1, 6)] == [
        True,
        True,
        False,
        False,
        False,
    ]
    assert not rule.poor_evaluation("self", 1) and not rule.poor_evaluation("peer", 1)


def test_the_default_rule_comes_from_an_empty_environment(env: pytest.MonkeyPatch) -> None:
    assert Settings.from_env().supervision == SupervisionRule()


def test_a_stricter_rule_counts_basically_satisfied_and_partly_solved(env: pytest.MonkeyPatch) -> None:
    env.setenv("PORTAL_SUPERVISE_RATING_AT_OR_BELOW", "3")
    env.setenv("PORTAL_SUPERVISE_WHEN_SOLVED", " no, partly ")
    env.setenv("PORTAL_SUPERVISE_MUTUAL_AT_OR_BELOW", "3")
    rule = Settings.from_env().supervision
    assert rule.poor_rating(3, "yes") and not rule.poor_rating(4, "yes")  # 基本满意 now sets it off
    assert rule.poor_rating(5, "partly") and rule.poor_evaluation("mutual", 3)


def test_never_turns_each_trigger_off(env: pytest.MonkeyPatch) -> None:
    env.setenv("PORTAL_SUPERVISE_RATING_AT_OR_BELOW", "0")
    env.setenv("PORTAL_SUPERVISE_WHEN_SOLVED", "")
    env.setenv("PORTAL_SUPERVISE_MUTUAL_AT_OR_BELOW", "0")
    rule = Settings.from_env().supervision
    assert not any(rule.poor_rating(1, solved) for solved in ("yes", "partly", "no"))
    assert not rule.poor_evaluation("mutual", 1)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORTAL_SUPERVISE_RATING_AT_OR_BELOW", "6"),
        ("PORTAL_SUPERVISE_RATING_AT_OR_BELOW", "-1"),
        ("PORTAL_SUPERVISE_RATING_AT_OR_BELOW", "two"),
        ("PORTAL_SUPERVISE_WHEN_SOLVED", "yes"),
        ("PORTAL_SUPERVISE_WHEN_SOLVED", "no;partly"),
        ("PORTAL_SUPERVISE_MUTUAL_AT_OR_BELOW", "2.5"),
    ],
)
def test_a_value_that_makes_no_sense_stops_the_start(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], name: str, value: str
) -> None:
    env.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        Settings.from_env()
    assert main(["settings"]) == 2
    assert name in capsys.readouterr().err


def test_portal_settings_prints_the_rule(env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    env.setenv("PORTAL_SUPERVISE_WHEN_SOLVED", "partly,no")
    assert main(["settings"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert "PORTAL_SUPERVISE_RATING_AT_OR_BELOW = 2" in printed
    assert "PORTAL_SUPERVISE_WHEN_SOLVED = no,partly" in printed
    assert "PORTAL_SUPERVISE_MUTUAL_AT_OR_BELOW = 2" in printed
    assert not any("settings-test" in line for line in printed)


def test_allowed_hosts_are_a_list_and_never_everything(env: pytest.MonkeyPatch) -> None:
    env.setenv("PORTAL_ALLOWED_HOSTS", " jimei.example.cn, *.Jimei.example.cn ,")
    assert Settings.from_env().allowed_hosts == ("jimei.example.cn", "*.jimei.example.cn")
    env.setenv("PORTAL_ALLOWED_HOSTS", "*")
    assert main(["settings"]) == 2
