"""Progress a reader can trust: the percent, how it was computed, and late milestones shown as late."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from portal.progress.computing import Method, Timing, percent_text, progress_of, timing_of
from portal.progress.models import Milestone, MilestoneStatus, Project, ProjectStatus

TODAY = date(2026, 11, 20)


def project(**fields: object) -> Project:
    values: dict[str, object] = {"title_zh_hans": "十里长堤", "slug": "shili-changdi"}
    values.update(fields)
    return Project(**values)


def milestone(weight: int, planned: date, status: str = MilestoneStatus.PLANNED, actual: date | None = None,
              position: int = 0) -> Milestone:  # fmt: skip
    return Milestone(
        project_id=1, title_zh_hans=f"节点{position}", weight=weight, planned_date=planned,
        status=status, actual_date=actual, position=position,
    )  # fmt: skip


def test_reached_milestones_add_their_weights() -> None:
    done = MilestoneStatus.DONE
    milestones = [
        milestone(20, date(2026, 3, 1), done, date(2026, 2, 27), 1),
        milestone(30, date(2026, 6, 1), done, date(2026, 6, 1), 2),
        milestone(10, date(2026, 8, 1), done, date(2026, 7, 30), 3),
        milestone(25, date(2026, 12, 1), position=4),
        milestone(15, date(2027, 3, 1), position=5),
    ]
    progress = progress_of(project(), milestones, today=TODAY)
    assert progress.method == Method.MILESTONES
    assert progress.percent == Decimal("60.0")
    assert percent_text(progress.percent) == "60"
    assert progress.total_weight == 100
    assert [p.weight for p in progress.counted] == [
        20,
        30,
        10,
    ]  # "3 of 5 milestones: 20 % + 30 % + 10 % = 60 %"
    assert len(progress.parts) == 5
    assert not progress.late


def test_milestones_are_taken_in_their_order() -> None:
    later = milestone(40, date(2026, 1, 2), position=2)
    earlier = milestone(60, date(2026, 9, 1), position=1)
    progress = progress_of(project(), [later, earlier], today=date(2025, 12, 1))
    assert [s.milestone for s in progress.milestones] == [earlier, later]


def test_weights_that_do_not_add_up_to_100_are_taken_as_shares_of_their_sum() -> None:
    milestones = [milestone(30, date(2026, 1, 1), MilestoneStatus.DONE), milestone(60, date(2027, 1, 1))]
    progress = progress_of(project(), milestones, today=TODAY)
    assert progress.total_weight == 90
    assert progress.percent == Decimal("33.3")  # 30 / 90, half up to one place


def test_a_milestone_past_its_day_and_not_reached_is_late_with_its_days() -> None:
    late = milestone(50, date(2026, 11, 10), MilestoneStatus.IN_PROGRESS, position=1)
    due_today = milestone(50, TODAY, position=2)
    progress = progress_of(project(), [late, due_today], today=TODAY)
    assert progress.percent == Decimal("0.0")
    assert [(s.timing, s.days_late) for s in progress.milestones] == [(Timing.LATE, 10), (Timing.PLANNED, 0)]
    assert [s.milestone for s in progress.late] == [late]


def test_a_milestone_reached_after_its_day_is_reached_late() -> None:
    state = timing_of(milestone(100, date(2026, 5, 1), MilestoneStatus.DONE, date(2026, 5, 15)), TODAY)
    assert (state.timing, state.days_late, state.reached, state.late) == (Timing.REACHED_LATE, 14, True, True)
    on_time = timing_of(milestone(100, date(2026, 5, 1), MilestoneStatus.DONE, date(2026, 5, 1)), TODAY)
    assert (on_time.timing, on_time.late) == (Timing.REACHED, False)
    under_way = timing_of(milestone(100, date(2026, 12, 1), MilestoneStatus.IN_PROGRESS), TODAY)
    assert under_way.timing == Timing.UNDER_WAY


def test_no_milestones_and_no_sub_projects_gives_no_percent() -> None:
    progress = progress_of(project(status=ProjectStatus.COMPLETED), [], today=TODAY)
    assert (progress.percent, progress.method, progress.parts) == (None, Method.NONE, ())
    assert percent_text(progress.percent) == ""


def test_sub_projects_count_by_their_weights() -> None:
    done = MilestoneStatus.DONE
    jimei = project(slug="jimei", weight=3)
    qiaoying = project(slug="qiaoying", weight=1)
    jimei_progress = progress_of(jimei, [milestone(50, date(2026, 1, 1), done), milestone(50, date(2027, 1, 1))],
                                 today=TODAY)  # fmt: skip
    qiaoying_progress = progress_of(qiaoying, [milestone(100, date(2026, 1, 1), done)], today=TODAY)
    campaign = progress_of(project(kind="campaign"), [], [(jimei, jimei_progress), (qiaoying, qiaoying_progress)],
                           today=TODAY)  # fmt: skip
    assert campaign.method == Method.CHILDREN
    # (50 × 3 + 100 × 1) / 4
    assert campaign.percent == Decimal("62.5")
    assert campaign.total_weight == 4
    assert [(p.project, p.percent, p.contribution) for p in campaign.parts] == [
        (jimei, Decimal("50.0"), Decimal("37.5")),
        (qiaoying, Decimal("100.0"), Decimal("25.0")),
    ]


def test_sub_projects_nest_and_one_without_a_measure_counts_by_its_status() -> None:
    street_a = project(slug="a", weight=1)
    street_b = project(slug="b", weight=1, status=ProjectStatus.COMPLETED)
    street_c = project(slug="c", weight=2)
    a = progress_of(street_a, [milestone(100, date(2026, 1, 1), MilestoneStatus.DONE)], today=TODAY)
    b = progress_of(street_b, [], today=TODAY)
    c = progress_of(street_c, [], today=TODAY)
    district = project(slug="district", weight=1)
    inner = progress_of(district, [], [(street_a, a), (street_b, b)], today=TODAY)
    assert inner.percent == Decimal("100.0")
    assert [p.assumed for p in inner.parts] == [False, True]
    outer = progress_of(project(slug="all"), [], [(district, inner), (street_c, c)], today=TODAY)
    assert outer.percent == Decimal("33.3")  # (100 × 1 + 0 × 2) / 3
    assert [p.counted for p in outer.parts] == [True, False]


def test_sub_projects_win_over_the_parents_own_milestones_which_still_show_their_timing() -> None:
    child = project(slug="child")
    child_progress = progress_of(child, [milestone(100, date(2026, 1, 1))], today=TODAY)
    parent = progress_of(
        project(), [milestone(100, date(2026, 2, 1))], [(child, child_progress)], today=TODAY
    )
    assert parent.method == Method.CHILDREN and parent.percent == Decimal("0.0")
    assert [s.timing for s in parent.late] == [Timing.LATE]
