"""Live input: presence and passage batches are validated like files, loaded all or none, and
idempotent; a batch and a file of the same rows store the same records."""

from __future__ import annotations

import warnings
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

from cordon.domain.roles import UserRole
from cordon.formats.schemas import Kind
from cordon.services.imports import import_file, import_rows
from cordon.store.db import Store
from cordon.store.models import PassageRow, PresenceRow
from tests.api.conftest import ROOT, bearer

T0 = 1795348800
UTC = ZoneInfo("UTC")


def _count(store: Store, row: type) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(row)) or 0)


def test_a_presence_batch_loads_once_and_a_bad_one_changes_nothing(
    client: TestClient, tokens: dict[UserRole, str], facility: Store
) -> None:
    guard = bearer(tokens[UserRole.SECURITY])
    items = [
        {"person": "p1", "place": "hall", "start": T0 + 60 * i, "end": T0 + 60 * i + 30}
        for i in range(5)
    ]
    before = _count(facility, PresenceRow)
    first = client.post(
        "/api/v1/presence", json={"items": items, "source": "reader 7"}, headers=guard
    )
    assert first.status_code == 201, first.text
    assert (first.json()["read"], first.json()["added"]) == (5, 5)
    again = client.post("/api/v1/presence", json={"items": items}, headers=guard)
    assert (again.json()["added"], again.json()["unchanged"]) == (0, 5)
    assert _count(facility, PresenceRow) == before + 5
    bad = [*items[:1], {"person": "nobody", "place": "hall", "start": T0, "end": T0 + 5}]
    refused = client.post("/api/v1/presence", json={"items": bad}, headers=guard)
    assert refused.status_code == 422, refused.text
    assert any("line 2" in e and "person" in e for e in refused.json()["errors"]), refused.json()
    assert _count(facility, PresenceRow) == before + 5
    observer = client.post(
        "/api/v1/presence", json={"items": items}, headers=bearer(tokens[UserRole.OBSERVER])
    )
    assert observer.status_code == 403


def test_a_passage_batch_through_an_exit(
    client: TestClient, tokens: dict[UserRole, str], facility: Store
) -> None:
    items = [
        {"person": "p3", "place": "al-1", "time": "2026-11-22T12:00:00Z", "direction": "out",
         "credential": "foreign", "companions": ["p2"]},
    ]  # fmt: skip
    answer = client.post(
        "/api/v1/passages", json={"items": items}, headers=bearer(tokens[UserRole.SECURITY])
    )
    assert answer.status_code == 201 and answer.json()["added"] == 1, answer.text
    assert _count(facility, PassageRow) >= 1


rows = st.lists(
    st.fixed_dictionaries(
        {
            "person": st.sampled_from(["p1", "p2", "p3"]),
            "place": st.sampled_from(["hall", "al-1", "ward-1"]),
            "start": st.integers(T0, T0 + 86_400),
            "length": st.integers(0, 7200),
        }
    ),
    min_size=1,
    max_size=30,
)


@given(batch=rows)
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_a_batch_and_a_file_of_the_same_rows_store_the_same(
    batch: list[dict[str, int | str]], facility: Store, tmp_path_factory: object
) -> None:
    items = [
        {"person": r["person"], "place": r["place"], "start": r["start"],
         "end": int(r["start"]) + int(r["length"])}
        for r in batch
    ]  # fmt: skip
    folder: Path = tmp_path_factory.mktemp("feed")  # type: ignore[attr-defined]
    path = folder / "presence.csv"
    path.write_text(
        "person,place,start,end\n"
        + "".join(f"{i['person']},{i['place']},{i['start']},{i['end']}\n" for i in items)
    )
    twin = Store(f"sqlite:///{folder / 'twin.db'}")
    from cordon.services.admin import init_store
    from tests.api.conftest import load_facility

    init_store(twin, actor="test")
    (folder / "station").mkdir()
    load_facility(twin, folder / "station")
    for store in (facility, twin):  # the same places and people, no presence yet
        with store.session() as session:
            session.execute(PresenceRow.__table__.delete())
            session.commit()

    def stored(store: Store) -> list[tuple[int, int, int, int]]:
        with store.session() as session:
            found = session.execute(
                select(PresenceRow.person_pk, PresenceRow.place_pk, PresenceRow.start_time,
                       PresenceRow.end_time)
            ).all()  # fmt: skip
            return sorted((a, b, c, d) for a, b, c, d in found)

    with facility.session() as session:
        posted = import_rows(session, items, kind=Kind.PRESENCE, actor=ROOT, zone=UTC, source="t")
    with twin.session() as session:
        filed = import_file(session, path, kind=Kind.PRESENCE, actor=ROOT, zone=UTC)
    assert (posted.read, posted.added) == (filed.read, filed.added)
    assert stored(facility) == stored(twin)
    twin.dispose()
