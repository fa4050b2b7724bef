"""Derived contacts and trace indexes cached per store state (issue 22): a repeated question on
an unchanged store is answered without deriving again, any change to the facts behind it is
seen, and the answers are those computed afresh."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest

from cordon.formats.schemas import Kind
from cordon.services import contacts as service
from cordon.services import index_cache, tracing
from cordon.services.imports import import_file
from cordon.store.db import Store
from tests.factory import write
from tests.services.test_contacts import LEAD, UTC, files, loaded  # noqa: F401


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often contacts were derived from the store and trace indexes built."""
    calls = {"derive": 0, "index": 0}
    derive, prepare = service._store_edges, tracing.prepare_trace

    def counting_derive(*args: Any, **kwargs: Any) -> Any:
        calls["derive"] += 1
        return derive(*args, **kwargs)

    def counting_prepare(*args: Any, **kwargs: Any) -> Any:
        calls["index"] += 1
        return prepare(*args, **kwargs)

    monkeypatch.setattr(service, "_store_edges", counting_derive)
    monkeypatch.setattr(service, "prepare_trace", counting_prepare)
    index_cache.clear_memory()
    return calls


def _fresh(store: Store, persons: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The trace and contacts computed with no cache at all."""
    index_cache.clear_memory()
    with store.session() as session:
        folder = index_cache.cache_folder(session)
        if folder is not None and folder.exists():
            shutil.rmtree(folder)
        report = service.trace(session, actor=LEAD, persons=persons, direction="both")
        found = service.contacts(session, actor=LEAD)
    return report.to_dict(), found.to_dict()


def test_a_repeated_trace_is_answered_from_the_cache(
    loaded: Store,  # noqa: F811
    counted: dict[str, int],
) -> None:
    with loaded.session() as session:
        first = service.trace(session, actor=LEAD, persons=["v1"], direction="both").to_dict()
        contacts = service.contacts(session, actor=LEAD).to_dict()
    assert counted == {"derive": 2, "index": 1}  # the trace also reads recorded exposures
    index_cache.clear_memory()  # a new process: only the disk copy is left
    with loaded.session() as session:
        again = service.trace(session, actor=LEAD, persons=["v1"], direction="both").to_dict()
        contacts_again = service.contacts(session, actor=LEAD).to_dict()
    assert counted == {"derive": 2, "index": 1}
    assert again == first and contacts_again == contacts
    assert (again, contacts_again) == _fresh(loaded, ["v1"])


def test_the_cache_sees_every_change(
    loaded: Store,  # noqa: F811
    counted: dict[str, int],
    tmp_path: Path,
) -> None:
    def ask() -> tuple[dict[str, Any], dict[str, Any]]:
        with loaded.session() as session:
            report = service.trace(session, actor=LEAD, persons=["v1"], direction="both")
            return report.to_dict(), service.contacts(session, actor=LEAD).to_dict()

    ask()
    changes = [
        ("presence", "person,place,start,end\np3,hall,2026-11-21T08:00:00Z,2026-11-21T11:00:00Z\n"),
        (
            "exposures",
            "a,b,start,end,route,source\np2,p3,2026-11-22T10:00:00Z,"
            "2026-11-22T10:30:00Z,close,interview\n",
        ),
        ("people", "id,name,role\nv9,Vera Nine,crew\n"),
    ]
    for n, (kind, text) in enumerate(changes):
        with loaded.session() as session:
            path = write(tmp_path, f"{kind}{n}.csv", text)
            import_file(session, path, kind=Kind(kind), actor=LEAD, zone=UTC)
        before = dict(counted)
        seen = ask()
        assert counted["derive"] > before["derive"], kind  # derived again after the change
        assert seen == _fresh(loaded, ["v1"]), kind
        counted["derive"] = counted["index"] = 0
        ask()
        assert counted == {"derive": 0, "index": 0}, kind


def test_the_cache_folder_is_private(loaded: Store) -> None:  # noqa: F811
    index_cache.clear_memory()
    with loaded.session() as session:
        service.contacts(session, actor=LEAD)
        folder = index_cache.cache_folder(session)
    if folder is None:
        pytest.skip("no disk cache for this store")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    entries = [p for p in folder.iterdir() if p.is_dir()]
    assert entries and all(stat.S_IMODE(p.stat().st_mode) == 0o700 for p in entries)
    meta = json.loads((entries[0] / "meta.json").read_text())
    assert meta["key"]["what"] == "edges"
