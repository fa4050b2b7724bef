"""SocioPatterns data sets as they are published: a contact file alone, trailing whitespace, the
five-column ``t i j Ci Cj`` layout, groups mapped to roles. Checked against the shared real data
read independently (NumPy and the published figures)."""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import func, select

from cordon.domain.roles import Actor
from cordon.errors import ImportRefused, InvalidValue
from cordon.services.admin import init_store
from cordon.services.imports import import_sociopatterns
from cordon.store.db import Store
from cordon.store.models import ExposureRow, PersonRow
from tests.engine.test_windows import brute_force

LEAD = Actor("tester")
UTC = ZoneInfo("UTC")
HOSPITAL_CONTACTS = 14_037  # Vanhems et al., PLoS ONE 8(9):e73970 (2013)


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Store]:
    created = Store(sqlite_url)
    init_store(created, actor="test")
    yield created
    created.dispose()


def load(store: Store, path: Path, **options: object):
    with store.session() as session:
        return import_sociopatterns(session, path, actor=LEAD, zone=UTC, **options)  # type: ignore[arg-type]


def people(store: Store) -> dict[str, tuple[str, str | None]]:
    with store.session() as session:
        rows = session.execute(select(PersonRow.id, PersonRow.role, PersonRow.affiliation))
        return {i: (r, a) for i, r, a in rows}


def contacts(store: Store) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(ExposureRow)) or 0)


def only_tij(shared: Path, name: str, folder: Path) -> Path:
    target = folder / name
    target.mkdir()
    shutil.copy(shared / f"data/sociopatterns/{name}/tij_{name}.dat", target)
    return target


def test_a_folder_with_only_the_contact_file_imports_with_people_of_unknown_role(
    store: Store, shared: Path, tmp_path: Path
) -> None:
    folder = only_tij(shared, "thiers13", tmp_path)
    tij = np.loadtxt(folder / "tij_thiers13.dat", dtype=np.int64)
    reports = load(store, folder)
    ids = {str(x) for x in np.unique(tij[:, 1:])}
    assert set(people(store)) == ids
    assert {role for role, _ in people(store).values()} == {"unknown"}
    assert reports[0].added == len(ids)
    assert "created from the ids" in reports[0].notes[0]
    assert reports[1].read == len(tij) and reports[1].rejected == 0


def test_trailing_whitespace_and_tabs_give_the_published_contacts(
    store: Store, shared: Path, tmp_path: Path
) -> None:
    source = shared / "data/sociopatterns/hospital/tij_hospital.dat"
    folder = tmp_path / "ragged"
    folder.mkdir()
    lines = source.read_text().splitlines()
    padded = [line + (" " if k % 2 else "\t \t") for k, line in enumerate(lines)]
    (folder / "tij_ragged.dat").write_text("\n".join(padded) + "\n\n")
    load(store, folder)
    assert contacts(store) == HOSPITAL_CONTACTS
    t, i, j = np.loadtxt(source, dtype=np.int64).T
    assert contacts(store) == len(brute_force(t.tolist(), i.tolist(), j.tolist(), 20))


def test_the_five_column_layout_gives_every_person_their_class(
    store: Store, shared: Path, tmp_path: Path
) -> None:
    meta = {}
    for line in (shared / "data/sociopatterns/thiers13/metadata_thiers13.dat").open():
        person, group, _gender = line.split()
        meta[person] = group
    teacher = "1"
    meta[teacher] = "Teachers"
    folder = tmp_path / "five"
    folder.mkdir()
    tij = np.loadtxt(shared / "data/sociopatterns/thiers13/tij_thiers13.dat", dtype=np.int64)
    with (folder / "tij_five.dat").open("w") as out:
        for t, i, j in tij.tolist():
            out.write(f"{t} {i} {j} {meta[str(i)]} {meta[str(j)]}\n")
    load(store, folder)
    got = people(store)
    assert {p: a for p, (_r, a) in got.items()} == {p: meta[p] for p in got}
    roles = Counter(r for r, _a in got.values())
    assert roles == {"student": len(got) - 1, "teacher": 1}
    assert contacts(store) == 67_613  # as the three-column file with its metadata gives


def test_metadata_groups_map_to_roles_and_unknown_groups_say_so(
    store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "office"
    folder.mkdir()
    (folder / "tij_office.dat").write_text("20 1 2\n40 2 3\n60 3 4\n80 4 5\n")
    (folder / "metadata_office.dat").write_text("1\tDISQ\n2\tSRH\n3\tTeachers\n4\tZZTOP\n")
    reports = load(store, folder)
    got = people(store)
    assert got == {
        "1": ("staff", "DISQ"),
        "2": ("staff", "SRH"),
        "3": ("teacher", "Teachers"),
        "4": ("unknown", "ZZTOP"),
        "5": ("unknown", None),
    }
    notes = " ".join(n for r in reports for n in r.notes)
    assert "ZZTOP" in notes and "--role" in notes
    assert "1 people created from the ids in the contacts (not in metadata_office.dat)" in notes


def test_a_role_given_for_a_group_is_used_and_a_bad_role_is_refused(
    store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "guards"
    folder.mkdir()
    (folder / "tij_g.dat").write_text("20 1 2 ZZ YY\n")
    load(store, folder, roles={"ZZ": "security", "YY": "crew"})
    assert people(store) == {"1": ("security", "ZZ"), "2": ("visiting_crew", "YY")}
    with pytest.raises(InvalidValue, match="wizard"):
        load(store, folder, roles={"ZZ": "wizard"})


def test_a_people_file_names_the_ids_and_people_already_aboard_are_kept(
    store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "named"
    folder.mkdir()
    (folder / "tij_n.dat").write_text("20 a b\n40 b c\n")
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name,role,affiliation\na,Ada,medical,ward\nb,Bo,patient,\n")
    load(store, folder, people=roster)
    assert people(store) == {
        "a": ("medical", "ward"),
        "b": ("patient", None),
        "c": ("unknown", None),
    }
    (folder / "tij_n.dat").write_text("20 a b\n40 b c\n60 c d\n")
    load(store, folder)
    assert people(store)["a"] == ("medical", "ward")
    assert people(store)["d"] == ("unknown", None)


def test_with_rejects_the_bad_windows_are_set_aside_and_create_nobody(
    store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "tij_b.dat").write_text("20 a b\nxx c d\n40 e\n60 a b\n")
    with pytest.raises(ImportRefused) as refused:
        load(store, folder)
    assert [e.line for e in refused.value.errors] == [2, 3]
    assert people(store) == {}
    rejects = tmp_path / "rejects.csv"
    load(store, folder, rejects=rejects)
    assert set(people(store)) == {"a", "b"}
    assert contacts(store) == 2
    assert rejects.read_text().count("\n") == 3
