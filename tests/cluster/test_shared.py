"""Two instances behind nginx behave as one: staff sessions, rate limits, texted codes and caches."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from portal.directory.models import Category
from portal.places.models import Street
from portal.tickets.models import Follower, Ticket
from tests.cluster.conftest import PASSWORD
from tests.cluster.harness import Cluster, browser, csrf, report, running_cluster
from tests.conftest import TEST_SECRET

TRACK_LIMIT = 4


@pytest.fixture(scope="module")
def cluster(engine: Engine, database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with running_cluster(
        database_url,
        tmp_path_factory.mktemp("cluster"),
        TEST_SECRET,
        PORTAL_RATE_TRACK=f"{TRACK_LIMIT}/10 minutes",
    ) as started:
        yield started


def sign_in(client: httpx.Client, base: str, username: str) -> None:
    signed = client.post(
        f"{base}/staff/login",
        data={"username": username, "password": PASSWORD, "_csrf_token": csrf(client, base)},
    )
    assert signed.status_code == 303, signed.text[:300]


def test_a_sign_in_on_one_instance_holds_on_the_other_and_signing_out_ends_it_on_both(
    cluster: Cluster, staff: str
) -> None:
    a, b = cluster.instances
    with browser() as desk, browser() as copy:
        sign_in(desk, a.base, staff)
        for instance in (a, b):
            queue = desk.get(f"{instance.base}/staff/queue")
            assert queue.status_code == 200 and "centre.li" in queue.text
        copy.cookies.set("staff", desk.cookies["staff"])  # the same cookie in another browser
        assert copy.get(f"{b.base}/staff/queue").status_code == 200
        out = desk.post(f"{b.base}/staff/logout", data={"_csrf_token": csrf(desk, b.base)})
        assert out.status_code == 303
        for client in (desk, copy):
            for instance in (a, b):
                refused = client.get(f"{instance.base}/staff/queue")
                assert refused.status_code == 303 and refused.headers["location"].startswith("/staff/login")


def track(client: httpx.Client, base: str, **headers: str) -> int:
    data = {"code": "ZZZZ-ZZZZ", "_csrf_token": csrf(client, base)}
    return client.post(f"{base}/track", data=data, headers=headers).status_code


def test_a_rate_limit_counts_the_hits_on_every_instance(cluster: Cluster) -> None:
    a, b = cluster.instances
    with browser() as resident:
        answers = [track(resident, (a, b)[i % 2].base) for i in range(TRACK_LIMIT)]
        assert answers == [422] * TRACK_LIMIT  # looked up (an unknown code), alternately on A and B
        assert track(resident, a.base) == 429
        assert track(resident, b.base) == 429


def test_behind_nginx_each_resident_is_counted_by_the_address_nginx_saw(cluster: Cluster) -> None:
    """The instances believe X-Forwarded-For from nginx only: two residents at different addresses
    have a limit each, and a header a resident forges counts for nothing."""

    def from_address(address: str) -> httpx.Client:
        return browser(transport=httpx.HTTPTransport(local_address=address))

    with from_address("127.0.0.2") as first, from_address("127.0.0.3") as second:
        for _ in range(TRACK_LIMIT):
            assert track(first, cluster.front) == 422
        assert track(first, cluster.front) == 429
        assert track(first, cluster.front, **{"X-Forwarded-For": "203.0.113.9"}) == 429
        assert track(second, cluster.front) == 422
    # Straight to an instance (not through nginx) a forged header is not believed either: each
    # "new" address is the same sender.
    with from_address("127.0.0.4") as third:
        a = cluster.instances[0]
        forged = [
            track(third, a.base, **{"X-Forwarded-For": f"203.0.113.{i}"}) for i in range(TRACK_LIMIT + 1)
        ]
        assert forged == [422] * TRACK_LIMIT + [429]


NOTE = re.compile(r'name="note" value="([^"]+)"')
PHONE = "13812345678"


def texted_code(instance_log: str, ticket: str) -> str:
    codes = re.findall(rf"code (\d{{6}}), for updates on report {ticket}", instance_log)
    assert codes, "the instance texted a code"
    return str(codes[-1])


def test_a_code_texted_through_one_instance_works_through_the_other_once(
    cluster: Cluster, db: Session
) -> None:
    a, b = cluster.instances
    with browser() as resident, browser() as neighbour:
        ticket = report(resident, a.base)
        asked = neighbour.post(
            f"{a.base}/t/{ticket}/support", data={"phone": PHONE, "_csrf_token": csrf(neighbour, a.base)}
        )
        assert asked.status_code == 200 and "138****5678" in asked.text
        note = NOTE.search(asked.text)
        assert note
        code = texted_code(a.log(), ticket)
        fields = {"note": note.group(1), "code": code}

        def confirm(instance_base: str) -> httpx.Response:
            data = {**fields, "_csrf_token": csrf(neighbour, instance_base)}
            return neighbour.post(f"{instance_base}/t/{ticket}/support/confirm", data=data)

        accepted = confirm(b.base)
        assert accepted.status_code == 303 and accepted.headers["location"].endswith("supported=following")
        for instance in (a, b):  # the same form sent again (Back, or someone who saw the SMS)
            again = confirm(instance.base)
            assert again.status_code == 422 and "This code has been used already" in again.text
    row = db.exec(select(Ticket).where(Ticket.code == ticket)).one()
    followers = db.exec(select(Follower).where(Follower.ticket_id == row.id, Follower.phone == PHONE)).all()
    assert len(followers) == 1 and row.supporters == 1


SUPPORTERS = re.compile(r'<div id="supporters"( hidden)?><dt>[^<]*</dt><dd>(\d+)</dd>')


def test_pages_cached_on_one_instance_show_a_change_made_on_the_other_at_once(cluster: Cluster) -> None:
    """Each instance keeps rendered pages in its own memory, and checks a version in the database on
    every request: what another instance changed shows on the next request."""
    a, b = cluster.instances
    with browser() as resident, browser() as neighbour:
        ticket = report(resident, a.base)
        for _ in range(2):  # rendered once, then from A's cache
            page = neighbour.get(f"{a.base}/t/{ticket}")
            assert SUPPORTERS.search(page.text).groups() == (" hidden", "1")  # type: ignore[union-attr]
            board = neighbour.get(f"{a.base}/tickets")
            assert ticket in board.text and "2 residents" not in board.text
        me_too = neighbour.post(f"{b.base}/t/{ticket}/support", data={"_csrf_token": csrf(neighbour, b.base)})
        assert me_too.status_code == 303
        page = neighbour.get(f"{a.base}/t/{ticket}")
        assert SUPPORTERS.search(page.text).groups() == (None, "2")  # type: ignore[union-attr]
        assert "2 residents" in neighbour.get(f"{a.base}/tickets").text
        newer = report(resident, b.base, "小区门口的井盖松动了，车经过时响声很大。")
        assert newer in neighbour.get(f"{a.base}/tickets").text


def seen_within(check: Callable[[], bool], seconds: float) -> float:
    """How long until ``check`` holds (polled); fails after ``seconds``."""
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < seconds, "the change did not show in time"
        time.sleep(0.05)
    return time.monotonic() - started


# The instances read the stamp of the reference rows once a second; a busy machine may pause a
# process for a moment, hence the margin.
REFERENCE_BOUND = 1.0 + 4.0


def test_an_administrators_change_on_one_instance_shows_on_the_other_within_a_second(
    cluster: Cluster, db: Session, admin: str
) -> None:
    a, b = cluster.instances
    category = db.exec(select(Category).order_by(col(Category.position), col(Category.id))).first()
    street = db.exec(select(Street).order_by(col(Street.position), col(Street.id))).first()
    assert category is not None and street is not None
    with browser() as desk, browser() as resident:
        assert category.name_en in resident.get(f"{a.base}/report").text
        assert street.name_en in resident.get(f"{a.base}/tickets").text  # now in A's page cache
        sign_in(desk, b.base, admin)

        def save(path: str, **fields: str) -> None:
            saved = desk.post(f"{b.base}{path}", data={"_csrf_token": csrf(desk, b.base), **fields})
            assert saved.status_code == 303, saved.text[:300]

        def category_named(name: str) -> None:
            save(
                f"/staff/admin/categories/{category.id}", name_zh_hans=category.name_zh_hans,
                name_zh_hant=category.name_zh_hant, name_en=name, group=str(category.group_id),
                department=str(category.default_department_id), response_hours=str(category.response_hours),
                resolution_days=str(category.resolution_days), active="on" if category.active else "",
            )  # fmt: skip

        def street_named(name: str) -> None:
            save(
                f"/staff/admin/streets/{street.id}", name_zh_hans=street.name_zh_hans,
                name_zh_hant=street.name_zh_hant, name_en=name, lat=str(street.lat), lng=str(street.lng),
            )  # fmt: skip

        try:
            category_named("Pavement broken (renamed)")
            street_named("Jimei Street (renamed)")
            seen_within(
                lambda: "Pavement broken (renamed)" in resident.get(f"{a.base}/report").text, REFERENCE_BOUND
            )
            seen_within(
                lambda: "Jimei Street (renamed)" in resident.get(f"{a.base}/tickets").text, REFERENCE_BOUND
            )
        finally:
            category_named(category.name_en)
            street_named(street.name_en)
