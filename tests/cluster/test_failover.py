"""An instance dies or is stopped while residents are sending reports: nothing is lost or doubled."""

from __future__ import annotations

import asyncio
import io
import signal
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from PIL import Image
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from portal.tickets.models import Photo, Ticket
from tests.cluster.harness import NO_PHOTO, Cluster, ReportForm, browser, running_cluster, wait_until
from tests.conftest import TEST_SECRET
from tests.live import run_async, send_raw

SURGE = 200
RETRIES = 3


@dataclass
class Resident:
    """One resident's browser with the report form filled in: its one-time key goes with every try."""

    client: httpx.AsyncClient
    fields: dict[str, str]
    outcomes: list[int | str] = field(default_factory=list)  # status, or the connection's failure
    pages: list[str] = field(default_factory=list)  # what each try showed

    @property
    def key(self) -> str:
        return self.fields["form_key"]

    @property
    def answered(self) -> bool:
        return bool(self.outcomes) and self.outcomes[-1] == 303


async def open_form(front: str, number: int) -> Resident:
    client = httpx.AsyncClient(timeout=60, follow_redirects=False, headers={"Accept-Language": "en"})
    page = await client.get(f"{front}/report")
    assert page.status_code == 200
    return Resident(client, ReportForm(page.text).fields(f"第{number}号报告：路面有一个坑，下雨后积水很深。"))


async def send(resident: Resident, front: str) -> None:
    try:
        sent = await resident.client.post(f"{front}/report", data=resident.fields, files=NO_PHOTO)
        resident.outcomes.append(sent.status_code)
        resident.pages.append(sent.text)
    except httpx.HTTPError as problem:
        resident.outcomes.append(type(problem).__name__)
        resident.pages.append("")


async def surge_with_a_kill(cluster: Cluster) -> list[Resident]:
    """Every resident sends at once; when the first instance has answered half of its share, it is
    killed. Those without a 303 send the same form again, as a resident presses "send" again."""
    residents = await asyncio.gather(*(open_form(cluster.front, n) for n in range(SURGE)))
    victim = cluster.instances[0]

    async def kill_half_way() -> None:
        while True:
            passages = cluster.access_log()
            if (
                sum(p.method == "POST" and p.upstreams[-1:] == (victim.address,) for p in passages)
                >= SURGE // 4
            ):
                cluster.kill(victim)
                return
            await asyncio.sleep(0.01)

    try:
        await asyncio.gather(kill_half_way(), *(send(r, cluster.front) for r in residents))
        for _ in range(RETRIES):
            waiting = [r for r in residents if not r.answered]
            await asyncio.gather(*(send(r, cluster.front) for r in waiting))
    finally:
        await asyncio.gather(*(r.client.aclose() for r in residents))
    return residents


def test_a_surge_of_reports_survives_an_instance_killed_half_way(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    # Every report comes from this machine's address: the limit per address would refuse most.
    with running_cluster(
        database_url, tmp_path, TEST_SECRET, PORTAL_RATE_REPORT=f"{SURGE * 10}/hour"
    ) as cluster:
        residents = run_async(surge_with_a_kill(cluster))
        killed, survivor = cluster.instances
        assert not killed.running() and survivor.running()
        with browser() as later:
            assert [later.get(f"{cluster.front}/").status_code for _ in range(4)] == [200] * 4
        passages = cluster.access_log()
    first_tries = Counter(r.outcomes[0] for r in residents)
    print(
        f"first tries: {dict(first_tries)}; tries per resident: {Counter(len(r.outcomes) for r in residents)}"
    )
    assert first_tries[303] < SURGE, "the kill cut some reports off (else this test shows nothing)"
    # A report cut off inside the dead instance is not sent to the other by nginx (it may have been
    # stored): the resident's browser gets 502 and sends it again.
    cut = [p for p in passages if p.method == "POST" and p.status == 502]
    # (After it, nginx asked the survivor for the page it shows instead of its own 502.)
    assert cut and all(
        p.upstreams[0] == killed.address and p.upstreams[1:] in ((), (survivor.address,)) for p in cut
    )
    # ... and reads, in place of nginx's bare "502 Bad Gateway", the portal's page saying so.
    shown = [
        page for r in residents for status, page in zip(r.outcomes, r.pages, strict=True) if status == 502
    ]
    assert shown and all("go back and send it again" in page and "nginx" not in page for page in shown)
    assert all(r.answered for r in residents), [r.outcomes for r in residents if not r.answered][:5]
    with engine.connect() as connection:
        stored = Counter(
            dict(
                connection.execute(
                    text("SELECT submission_key, COUNT(*) FROM ticket GROUP BY submission_key")
                ).all()
            )
        )
    assert sum(stored.values()) == SURGE
    assert {r.key for r in residents} == set(stored) and set(stored.values()) == {1}


def big_photo() -> bytes:
    """A phone photo's worth of detail (noise compresses badly), about a megabyte."""
    buffer = io.BytesIO()
    Image.effect_noise((1600, 1200), 40).convert("RGB").save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def test_sigterm_lets_the_request_in_flight_finish_while_nginx_sends_the_new_ones_elsewhere(
    engine: Engine, database_url: str, tmp_path: Path, db: Session
) -> None:
    with running_cluster(database_url, tmp_path, TEST_SECRET) as cluster:
        stopping, other = cluster.instances
        with browser() as resident:
            form = ReportForm(resident.get(f"{stopping.base}/report").text)
            fields = form.fields("楼下的垃圾桶满了三天没人清运，气味很大。")
            files = {"photos": ("street.jpg", big_photo(), "image/jpeg")}
            request = resident.build_request("POST", f"{stopping.base}/report", data=fields, files=files)
        body = request.read()
        head = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "connection")}
        meanwhile: dict[str, object] = {}

        def slowly() -> Iterator[bytes]:
            """The photo goes up over a weak mobile network; half-way, the instance is told to stop."""
            size = len(body) // 20 + 1
            for start in range(0, len(body), size):
                if start >= len(body) // 2 and "statuses" not in meanwhile:
                    meanwhile.update(stopped_and_asked(cluster, stopping))
                yield body[start : start + size]
                time.sleep(0.1)

        answer = send_raw(stopping.base, "/report", head, slowly())
        assert stopping.process is not None
        # It exits once its last request is answered (uvicorn ends by re-raising the SIGTERM).
        assert stopping.process.wait(20) in (0, -signal.SIGTERM)
        passages = cluster.access_log()

    assert answer.status == 303 and b"location: /report/done?key=" in answer.head.lower()
    assert meanwhile["still_running"] is True and meanwhile["refused"] is True
    assert meanwhile["statuses"] == [200] * 5
    asked_meanwhile = [p for p in passages if p.uri == "/?while-stopping"]
    assert len(asked_meanwhile) == 5 and all(p.upstreams[-1] == other.address for p in asked_meanwhile)
    ticket = db.exec(select(Ticket).where(Ticket.submission_key == fields["form_key"])).one()
    assert len(db.exec(select(Photo).where(Photo.ticket_id == ticket.id)).all()) == 1


def stopped_and_asked(cluster: Cluster, stopping: object) -> dict[str, object]:
    """SIGTERM to the instance; once it takes no new connection, five residents come in through nginx."""
    from tests.cluster.harness import Instance

    assert isinstance(stopping, Instance)
    cluster.terminate(stopping)

    def refuses() -> bool:
        try:
            httpx.get(f"{stopping.base}/", timeout=1)
        except httpx.ConnectError:
            return True
        except httpx.HTTPError:
            return False
        return False

    wait_until(refuses, 10, "the stopping instance to close its port")
    with browser() as newcomer:
        statuses = [newcomer.get(f"{cluster.front}/?while-stopping").status_code for _ in range(5)]
    return {"refused": True, "still_running": stopping.running(), "statuses": statuses}
