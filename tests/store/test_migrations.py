"""The migrations build exactly the tables the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from cordon.errors import StoreNotReady
from cordon.store.db import Store
from cordon.store.models import Base


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::sqlalchemy.exc.SAWarning")
def test_migrated_schema_matches_the_models(store: Store) -> None:
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        diff = [
            d
            for d in compare_metadata(context, Base.metadata)
            if d[0] != "add_index" or d[1].name != "uq_exposure_natural"
        ]
    assert diff == []
    assert store.current_revision() == store.head_revision()


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_exposures_without_a_place_are_still_deduplicated(store: Store) -> None:
    """The natural key treats a missing place as one value (a plain unique key would not)."""
    import numpy as np

    from cordon.store.bulk import insert_ignore

    with store.session() as session:
        session.execute(
            text(
                "INSERT INTO person (id, name, role) "
                "VALUES ('a', 'A', 'staff'), ('b', 'B', 'staff')"
            )
        )
        row = {
            "a_pk": np.array([1, 1]),
            "b_pk": np.array([2, 2]),
            "place_pk": np.array([None, None], dtype=object),
            "start_time": np.array([0, 0]),
            "end_time": np.array([60, 60]),
            "duration_s": np.array([60, 60]),
            "route": np.array(["close"] * 2, dtype=object),
            "source": np.array(["sensor"] * 2, dtype=object),
        }
        assert insert_ignore(session, Base.metadata.tables["exposure"], row) == 1
        assert insert_ignore(session, Base.metadata.tables["exposure"], row) == 0
        session.commit()


def test_a_store_that_was_never_initialised_says_to_run_init(sqlite_url: str) -> None:
    with pytest.raises(StoreNotReady, match="run `cordon init`"):
        Store(sqlite_url).check_ready()


def test_init_is_idempotent(store: Store) -> None:
    from cordon.services.admin import init_store

    assert init_store(store, actor="test") == store.head_revision()
