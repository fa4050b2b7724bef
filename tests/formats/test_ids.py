"""One id rule for importers and doors: for random ids, the id an importer stores and the id a
door reads from any way of writing it (padding, zero-width characters, letter case, full-width
forms) are the same."""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from cordon.domain.ids import INVISIBLE, normalise_id
from cordon.domain.records import Direction
from cordon.domain.roles import Actor
from cordon.formats import fields
from cordon.formats.schemas import Kind
from cordon.services import access
from cordon.services.admin import init_store
from cordon.services.imports import import_file
from cordon.store.db import Store
from cordon.store.models import PersonRow

LEAD = Actor("lead")
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
PADDING = [" ", "\t", "\u00a0", "\u3000"]


@given(st.lists(st.text(max_size=20), min_size=1, max_size=8))
def test_the_importer_column_rule_is_the_door_rule(raws: list[str]) -> None:
    """The vectorised column path of the importers gives ``normalise_id`` of each value."""
    column = fields.id_text(pd.Series(raws, dtype=object)).tolist()
    assert column == [normalise_id(r) for r in raws]


@given(st.text(max_size=30))
def test_the_rule_is_stable_and_leaves_nothing_invisible(raw: str) -> None:
    once = normalise_id(raw)
    assert normalise_id(once) == once
    assert once == once.strip()
    assert not set(once) & INVISIBLE
    assert unicodedata.normalize("NFKC", once) == once


LETTERS = "abcdefghijklmnopqrstuvwxyzéøüñ0123456789-_."


@st.composite
def written(draw: st.DrawFn) -> tuple[str, str]:
    """An id as a file writes it and as a door controller sends it (two other spellings)."""
    core = draw(st.text(alphabet=LETTERS, min_size=1, max_size=20))

    def spell() -> str:
        out = []
        for ch in core:
            if draw(st.booleans()):
                ch = ch.upper()
            if "a" <= ch.lower() <= "z" and draw(st.integers(0, 4)) == 0:
                ch = chr(ord(ch) + 0xFEE0)  # the full-width form
            if draw(st.integers(0, 5)) == 0:
                ch += draw(st.sampled_from(ZERO_WIDTH))
            out.append(ch)
        pad = draw(st.lists(st.sampled_from(PADDING + ZERO_WIDTH), max_size=3))
        tail = draw(st.lists(st.sampled_from(PADDING + ZERO_WIDTH), max_size=3))
        return "".join(pad) + "".join(out) + "".join(tail)

    return spell(), spell()


def test_an_imported_id_is_found_by_the_door_however_it_is_written(
    sqlite_url: str, tmp_path: Path
) -> None:
    store = Store(sqlite_url)
    init_store(store, actor="test")
    places = tmp_path / "places.csv"
    places.write_text("id,name,kind,exit\nAL-1,Airlock,airlock,true\n", encoding="utf-8")
    with store.session() as session:
        import_file(session, places, kind=Kind.PLACES, actor=LEAD, zone=ZoneInfo("UTC"))
    seen: set[str] = set()

    @given(pair=written())
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    def check(pair: tuple[str, str]) -> None:
        in_file, at_door = pair
        expected = normalise_id(in_file)
        assume(expected not in seen)
        seen.add(expected)
        path = tmp_path / "people.csv"
        with path.open("w", newline="", encoding="utf-8") as out:
            csv.writer(out).writerows([["id", "name", "role"], [in_file, "Someone", "resident"]])
        with store.session() as session:
            import_file(session, path, kind=Kind.PEOPLE, actor=LEAD, zone=ZoneInfo("UTC"))
            stored = set(session.scalars(select(PersonRow.id)))
            assert expected in stored
            index = access.AccessIndex.from_store(session, actor=LEAD)
            got = index.decide(at_door, " al-1\u200b", Direction.OUT, 0)
            assert (got.person, got.door) == (expected, "al-1")
            assert got.person in index.roles  # the door knows the person the importer stored

    try:
        check()
    finally:
        store.dispose()
