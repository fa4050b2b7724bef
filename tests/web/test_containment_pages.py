"""The containment and tracing pages over HTTP, on the miniature Venus at a fixed station clock:
the missing-cases board, the bed plan, the guard roster, the transmission graph, and the
overview's analyses."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cordon.api import create_app
from cordon.api.settings import ServiceSettings
from cordon.domain.cases import Clinical
from cordon.domain.roles import UserRole
from cordon.services import cases, containment
from cordon.store.db import Store
from cordon.store.models import CaseRow, JobRow
from cordon.web import analyses
from tests.services.containment_fixtures import LEAD, load_venus, sqlite_store
from tests.support.worker import running_worker
from tests.web.test_pages import sign_in

CLOCK = "2026-11-25T06:00:00Z"
DEPARTED = {"w3": ("v2", "al-1"), "w4": ("v2", "al-1"), "w5": ("v3", "al-2"), "w6": ("v3", "al-2")}


@pytest.fixture
def venus(sqlite_url: str, tmp_path: Path) -> Iterator[Store]:
    """The miniature Venus with the containment rules applied at the station clock."""
    store = sqlite_store(sqlite_url)
    load_venus(store, tmp_path)
    with store.session() as s:
        containment.apply_rules(s, actor=LEAD, now=ServiceSettings(clock=CLOCK).now())
    yield store
    store.dispose()


@pytest.fixture
def web(venus: Store) -> Iterator[TestClient]:
    """The service on Venus with the station clock fixed."""
    settings = ServiceSettings(database_url=venus.url, clock=CLOCK)
    app = create_app(settings, store=venus)
    with running_worker(venus, settings), TestClient(app, base_url="https://testserver") as client:
        yield client


def _cases(store: Store) -> list[tuple[str, str]]:
    with store.session() as s:
        return sorted(
            (str(c.person_pk), str(c.containment)) for c in s.scalars(select(CaseRow)).all()
        )


def test_missing_board_shows_egress_escort_and_last_sighting(web: TestClient, venus: Store) -> None:
    sign_in(web, venus, UserRole.SECURITY)
    before = _cases(venus)
    page = web.get("/missing")
    assert page.status_code == 200
    html = page.text
    assert 'href="/missing"' in html and 'aria-current="page"' in html
    for person, (escort, exit_) in DEPARTED.items():
        card = html.split(f'id="missing-{person}"')[1].split("</details>")[0]
        assert "departed" in card
        assert exit_ in card and "foreign" in card
        assert f'href="/people/{escort}"' in card
        assert "2026-11-25" in card  # the egress time, at the station clock
        assert "last sighting" in card and ("q-2" in card or "q-3" in card)
        assert "under order" in card  # security sees no order kind
        assert "isolation" not in card
    assert 'id="missing-w7"' not in html  # in quarantine in her own quarters
    assert 'id="missing-w1"' not in html  # in the ward bay
    assert _cases(venus) == before  # the board records nothing


def test_missing_board_is_refused_to_the_observer(web: TestClient, venus: Store) -> None:
    sign_in(web, venus, UserRole.OBSERVER)
    answer = web.get("/missing")
    assert answer.status_code == 403
    assert "Not allowed" in answer.text
    assert 'href="/missing"' not in web.get("/").text


def test_bed_plan_page(web: TestClient, venus: Store) -> None:
    sign_in(web, venus, UserRole.MEDICAL)
    page = web.get("/plans/beds")
    assert page.status_code == 200, page.text
    html = page.text
    assert 'id="rooms-table"' in html and 'id="beds-table"' in html
    beds = html.split('id="beds-table"')[1].split("</table>")[0]
    for person in ["w1", "w2"]:
        assert f'href="/people/{person}"' in beds
    for person in DEPARTED:  # off the station: planned only when brought back (--bring-back)
        assert f'href="/people/{person}"' not in beds
    actions = re.findall(r"<td>(stays|moves|admit|recover|no bed)</td></tr>", beds)
    assert len(actions) == beds.count("<tr><td>")  # every person has an action
    assert "stays" in actions  # current occupants are kept
    assert "ward-1a" in html
    assert 'id="beds-short"' in html
    assert web.get("/plans/roster").status_code == 403  # medical plans beds, not guards


def test_roster_page_by_exit_and_shift(web: TestClient, venus: Store) -> None:
    sign_in(web, venus, UserRole.SECURITY)
    page = web.get("/plans/roster")
    assert page.status_code == 200, page.text
    table = page.text.split('id="roster-table"')[1].split("</table>")[0]
    header = table.split("</thead>")[0]
    for exit_ in ("al-1", "al-2", "dock"):
        assert f"<th>{exit_}</th>" in header
    rows = re.findall(r"<tr><td>", table)
    assert len(rows) == 7 * 3  # seven days of 8-hour shifts
    assert "2026-11-25" in table
    # one guard for three exits around the clock cannot cover them
    assert "uncovered" in table
    assert 'href="/people/s1"' in table
    assert web.get("/plans/beds").status_code == 403  # security sees no clinical plan


def test_trace_page_for_a_person_and_the_crew(web: TestClient, venus: Store) -> None:
    sign_in(web, venus, UserRole.MEDICAL)
    empty = web.get("/trace")
    assert empty.status_code == 200
    assert 'id="trace-form"' in empty.text
    one = web.get("/trace", params={"person": "v2", "direction": "forward"}).text
    forward = one.split('id="trace-forward"')[1].split('id="trace-backward"')[0]
    for person in ("w3", "w4", "w7"):
        assert f'href="/people/{person}"' in forward
    assert 'href="/people/w1"' not in forward  # v1's contact, not v2's
    crew = web.get("/trace", params={"group": "visiting_crew", "direction": "both"})
    assert crew.status_code == 200
    html = crew.text
    forward = html.split('id="trace-forward"')[1].split('id="trace-backward"')[0]
    for person in ("w1", "w2", "w3", "w4", "w5", "w6", "w7"):
        assert f'href="/people/{person}"' in forward
    data = json.loads(html.split('id="chart-data">')[1].split("</script>")[0])
    nodes = [t for t in data["analyses"][0]["data"] if t.get("mode") == "markers+text"]
    linked = {u for t in nodes for u in t["customdata"]}
    assert "/people/w7" in linked
    assert 'data-links="people"' in html
    assert web.get("/trace", params={"direction": "sideways", "person": "v1"}).status_code == 422
    assert web.get("/trace", params={"group": "guests"}).status_code == 422


def test_trace_page_is_refused_without_contacts(web: TestClient, venus: Store) -> None:
    sign_in(web, venus, UserRole.SECURITY)
    answer = web.get("/trace", params={"person": "v1"})
    assert answer.status_code == 403
    assert "Not allowed" in answer.text


def _overview_jobs(store: Store) -> int:
    with store.session() as s:
        return len(s.scalars(select(JobRow).where(JobRow.kind == "overview forecast")).all())


def _settled_overview(web: TestClient) -> str:
    """The overview once its forecast is the one for the store as it is (within a minute)."""
    deadline = time.monotonic() + 60
    while True:
        html = web.get("/").text
        if "Kept until the store changes" in html:
            return html
        assert time.monotonic() < deadline, html
        time.sleep(0.2)


def test_overview_shows_growth_rt_and_the_forecast_fan(web: TestClient, venus: Store) -> None:
    assert analyses.board(str(venus.engine.url)) is not None  # queued for the worker
    sign_in(web, venus, UserRole.MEDICAL)
    first = web.get("/").text  # no view waits for a forecast, not even the first
    assert _overview_jobs(venus) == 1
    assert analyses.FIRST_RUNNING in first or "Kept until the store changes" in first
    assert "Growth, doubling time and Rt" in first
    html = _settled_overview(web)
    assert _overview_jobs(venus) == 1  # one job per store state and hour, whatever the views
    assert "Growth, doubling time and Rt" in html
    assert "doubling time" in html and "Rt" in html
    assert f"Forecast: beds needed over {analyses.OVERVIEW_DAYS} days" in html
    assert "Kept until the store changes" in html
    data = json.loads(html.split('id="chart-data">')[1].split("</script>")[0])
    fan = next(c for c in data["analyses"] if c and "beds needed" in json.dumps(c["layout"]))
    names = {t.get("name", "") for t in fan["data"]}
    assert any(n.startswith("isolation beds") for n in names)
    assert any(n.endswith(" 90%") for n in names)
    medians = [t for t in fan["data"] if t.get("name", "").endswith("(median)")]
    assert len({(t["line"]["color"], t["line"]["dash"]) for t in medians}) == len(medians) >= 2
    assert all("0.07" in t["fillcolor"] for t in fan["data"] if t.get("fill"))  # light bands
    assert sum(1 for t in fan["data"] if t.get("fill") == "tonexty") >= 2
    assert all(len(t["x"]) == analyses.OVERVIEW_DAYS for t in fan["data"] if "fill" in t)
    web.get("/")
    assert _overview_jobs(venus) == 1  # the second view reuses the forecast
    web.get("/missing")  # a read changes nothing the forecast reads
    web.get("/")
    assert _overview_jobs(venus) == 1
    with venus.session() as s:
        cases.change_case(
            s, "g1", actor=LEAD, reason="contact", at=ServiceSettings(clock=CLOCK).now(),
            clinical=Clinical.EXPOSED,
        )  # fmt: skip
    changed = web.get("/").text  # a write runs it again; the page does not wait for it
    assert _overview_jobs(venus) == 2
    assert "Forecast: beds needed over" in changed
    _settled_overview(web)
    assert _overview_jobs(venus) == 2
    observer = TestClient(web.app, base_url="https://testserver")
    sign_in(observer, venus, UserRole.OBSERVER)
    seen = observer.get("/").text
    assert "Forecast: beds needed" not in seen  # the observer runs no analytics


def test_no_inline_script_in_the_new_pages(web: TestClient, venus: Store) -> None:
    sign_in(web, venus, UserRole.COMMAND)
    pages = ["/missing", "/plans/beds", "/plans/roster", "/trace?group=visiting_crew"]
    nav = web.get("/").text
    for page in pages:
        assert f'href="{page.split("?")[0]}"' in nav, page
        html = web.get(page).text
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag or 'type="application/json"' in tag, (page, tag)
        assert not re.search(r"<[^>]+\son\w+=", html), page


def test_trace_of_an_unknown_person_is_a_page_not_a_crash(web: TestClient, venus: Store) -> None:
    sign_in(web, venus, UserRole.COMMAND)
    answer = web.get("/trace", params={"person": "nobody-aboard"})
    assert answer.status_code in (404, 422), answer.status_code
    assert "nobody-aboard" in answer.text
    assert 'href="/"' in answer.text


def test_overview_analyses_on_an_empty_store(store: Store) -> None:
    with store.session() as s:
        at = ServiceSettings(clock=CLOCK).now()
        assert analyses.growth_analysis(s, LEAD, at) is None
        shown = analyses.forecast_analysis(s, LEAD, at)
        assert shown is not None and shown.chart is None
        assert shown.note.startswith("No forecast: no confirmed or suspected cases")
