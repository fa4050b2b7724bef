"""One time convention for contacts: the store and a contacts file give the same trace, edges
included (a contact is the closed interval [start, end]; docs/time.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from cordon.domain.records import Route
from cordon.domain.roles import Actor, UserRole
from cordon.formats.schemas import Kind
from cordon.services import contacts as service
from cordon.services.admin import init_store
from cordon.services.imports import import_file
from cordon.store.db import Store
from cordon.store.models import ExposureRow
from tests.factory import write

UTC = ZoneInfo("UTC")
LEAD = Actor("lead", UserRole.COMMAND)
PEOPLE = ("x", "y", "z", "w")
HEADER = "a,b,place,start,end,duration_s,route,source"


def _file(folder: Path, rows: list[tuple[str, str, int, int]]) -> Path:
    lines = [HEADER] + [f"{a},{b},,{s},{e},{e - s},fluid,interview" for a, b, s, e in rows]
    return write(folder, "contacts.csv", "\n".join(lines) + "\n")


def _both(store: Store, folder: Path, rows: list[tuple[str, str, int, int]], since: int,
          direction: str) -> tuple[set[str], set[str]]:  # fmt: skip
    path = _file(folder, rows)
    args = {
        "persons": ["x"], "direction": direction, "since": since, "until": None,
        "latent_s": 0, "infectious_s": 86_400, "routes": [Route.FLUID],
    }  # fmt: skip
    with store.session() as session:
        session.execute(delete(ExposureRow))
        import_file(session, path, kind=Kind.EXPOSURES, actor=LEAD, zone=UTC)
        session.commit()
        kept = service.trace(session, actor=LEAD, **args)  # type: ignore[arg-type]
    filed = service.trace_from_files(contacts=path, **args)  # type: ignore[arg-type]

    def who(report: service.TraceReport) -> set[str]:
        return {p.person for p in [*report.forward, *report.backward]}

    return who(kept), who(filed)


def _people(store: Store, folder: Path) -> None:
    text = "id,name,role,affiliation,home\n" + "".join(f"{p},{p},staff,,\n" for p in PEOPLE)
    with store.session() as session:
        import_file(session, write(folder, "people.csv", text), kind=Kind.PEOPLE, actor=LEAD,
                    zone=UTC)  # fmt: skip
        session.commit()


def test_the_reproduction_gives_the_same_answer_both_ways(store: Store, tmp_path: Path) -> None:
    _people(store, tmp_path)
    rows = [("x", "y", 100, 200), ("y", "z", 200, 300)]
    kept, filed = _both(store, tmp_path, rows, 200, "forward")
    assert kept == filed == {"x", "y", "z"}


times = st.sampled_from([100, 150, 200, 250, 300])
contact = (
    st.tuples(st.sampled_from(PEOPLE), st.sampled_from(PEOPLE), times, times)
    .filter(lambda c: c[0] != c[1])
    .map(lambda c: (c[0], c[1], min(c[2], c[3]), max(c[2], c[3])))
)


@pytest.fixture
def people_store(sqlite_url: str, tmp_path: Path) -> Iterator[Store]:
    made = Store(sqlite_url)
    init_store(made, actor="test")
    _people(made, tmp_path)
    yield made
    made.dispose()


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(contact, min_size=1, max_size=5), since=times,
       direction=st.sampled_from(["forward", "backward"]))  # fmt: skip
def test_store_and_file_traces_agree_at_the_edges(
    people_store: Store, tmp_path: Path, rows: list[tuple[str, str, int, int]], since: int,
    direction: str,
) -> None:  # fmt: skip
    assume(any("x" in row[:2] for row in rows))  # a file knows only the people it names
    kept, filed = _both(people_store, tmp_path, rows, since, direction)
    assert kept == filed


def test_backward_tracing_never_places_an_infection_after_the_confirmation(
    store: Store, tmp_path: Path
) -> None:
    from cordon.domain.cases import Clinical, Containment
    from cordon.services import cases

    _people(store, tmp_path)
    rows = [("y", "x", 100, 200), ("z", "x", 500, 600)]
    args = {
        "persons": ["x"], "direction": "backward", "since": None, "until": None,
        "latent_s": 0, "infectious_s": 86_400, "routes": [Route.FLUID],
    }  # fmt: skip
    path = _file(tmp_path, rows)
    with store.session() as session:
        import_file(session, path, kind=Kind.EXPOSURES, actor=LEAD, zone=UTC)
        cases.change_case(
            session, "x", actor=LEAD, reason="positive", at=300, clinical=Clinical.CONFIRMED,
            containment=Containment.ISOLATED,
        )  # fmt: skip
        kept = service.trace(session, actor=LEAD, **args)  # type: ignore[arg-type]
    filed = service.trace_from_files(contacts=path, **args)  # type: ignore[arg-type]
    assert kept.latest_infection == {"x": 300}
    index = next(p for p in kept.backward if p.person == "x")
    assert index.time <= 300
    assert {p.person for p in kept.backward} == {"x", "y"}
    assert all(p.contact is None or p.contact.start <= 300 for p in kept.backward)
    # without the case (a file alone) the contact after the confirmation is a candidate
    assert {p.person for p in filed.backward} == {"x", "y", "z"}
