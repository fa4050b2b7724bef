"""Reading observations as arrays for the engine."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from cordon.domain.roles import Actor
from cordon.formats.schemas import Kind
from cordon.services.imports import import_file
from cordon.store import arrays
from cordon.store.db import Store
from tests.factory import station, write


def test_presence_and_exposures_come_back_as_sorted_key_arrays(
    store: Store, tmp_path: Path
) -> None:
    files = station(tmp_path)
    files["exposures"] = write(
        tmp_path,
        "e.csv",
        "a,b,place,start,end,route,source\nv1,p1,hall,100,200,fluid,interview\nv1,p2,,50,60,close,sensor\n",
    )
    with store.session() as session:
        for kind in ("places", "people", "presence", "exposures"):
            import_file(
                session, files[kind], kind=Kind(kind), actor=Actor("t"), zone=ZoneInfo("UTC")
            )
        presence = arrays.presence_arrays(session)
        people = arrays.person_ids(session)
        places = {v: k for k, v in arrays.place_ids(session).items()}
        exposures = arrays.exposure_arrays(session)
        window = arrays.presence_arrays(session, since=1763683200, until=1763683201)
    assert len(presence) == 5 and presence.person.dtype.kind == "i"
    assert list(zip(presence.place.tolist(), presence.start.tolist(), strict=True)) == sorted(
        zip(presence.place.tolist(), presence.start.tolist(), strict=True)
    )
    assert [people[p] for p in window.person.tolist()] == ["m1"]
    assert exposures.start.tolist() == [50, 100]
    assert exposures.place.tolist() == [-1, places["hall"]]
    codes = {r.value: c for r, c in arrays.ROUTE_CODES.items()}
    assert exposures.route.tolist() == [codes["close"], codes["fluid"]]
