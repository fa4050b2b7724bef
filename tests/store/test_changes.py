"""The change signal: every write to a watched table bumps its topic in the same transaction,
whatever wrote it, and a follower in another connection learns of it (PostgreSQL: NOTIFY at
commit; SQLite: the version rows)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import inspect, text

from cordon.runtime.changes import ChangeFollower
from cordon.store.changes import COLUMNS, TOPICS, read_versions
from cordon.store.db import Store
from cordon.store.triggers import trigger_names


def _versions(store: Store) -> dict[str, int]:
    with store.session() as session:
        return read_versions(session)


def test_every_watched_table_has_its_trigger(store: Store) -> None:
    """A migration that rebuilt a table (SQLite's batch mode) and forgot the triggers fails
    here."""
    names = trigger_names()
    with store.engine.connect() as connection:
        if store.is_sqlite:
            found = set(
                connection.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
            )
            missing = [t for t, n in names.items() if not {f"{n}_insert", f"{n}_update",
                                                          f"{n}_delete"} <= found]  # fmt: skip
        else:
            found = set(connection.scalars(text("SELECT tgname FROM pg_trigger")))
            missing = [t for t, n in names.items() if n not in found]
    assert missing == []
    assert set(names) <= set(inspect(store.engine).get_table_names())


def test_a_write_bumps_its_topic_in_its_own_transaction(store: Store) -> None:
    before = _versions(store)
    with store.session() as session:
        session.execute(
            text("INSERT INTO place (id, name, kind, exit) VALUES ('x', 'X', 'hall', false)")
        )
        assert read_versions(session)["directory"] == before["directory"] + 1  # same transaction
        assert _versions(store) == before  # not seen outside before the commit
        session.rollback()
    assert _versions(store) == before  # a rolled-back write moves nothing
    with store.session() as session:
        session.execute(
            text("INSERT INTO place (id, name, kind, exit) VALUES ('x', 'X', 'hall', false)")
        )
        session.execute(text("UPDATE place SET exit = true WHERE id = 'x'"))
        session.commit()
    after = _versions(store)
    assert after["directory"] >= before["directory"] + 2
    assert {t: v for t, v in after.items() if t != "directory"} == {
        t: v for t, v in before.items() if t != "directory"
    }


def test_only_the_columns_that_matter_move_the_tokens_topic(store: Store) -> None:
    assert "api_token" in COLUMNS and "api_token" in TOPICS["tokens"]
    with store.session() as session:
        session.execute(text(
            "INSERT INTO app_user (name, role, created_at, failed_logins) "
            "VALUES ('door', 'door', 0, 0)"
        ))  # fmt: skip
        session.execute(text(
            "INSERT INTO api_token (user_pk, name, digest, scopes, created_at) "
            "SELECT pk, 't', 'd1', '[]', 0 FROM app_user WHERE name = 'door'"
        ))  # fmt: skip
        session.commit()
    before = _versions(store)
    with store.session() as session:
        session.execute(text("UPDATE api_token SET last_used_at = 5"))
        session.execute(text("UPDATE app_user SET failed_logins = 1, last_login_at = 7"))
        session.commit()
    assert _versions(store)["tokens"] == before["tokens"]  # a door using its token
    with store.session() as session:
        session.execute(text("UPDATE api_token SET revoked_at = 9"))
        session.commit()
    assert _versions(store)["tokens"] > before["tokens"]  # a revocation


WRITES = {
    "directory": "INSERT INTO place (id, name, kind, exit) VALUES ('y', 'Y', 'hall', false)",
    "holds": "INSERT INTO emergency (kind, places, start_time, declared_by, reason) "
    "VALUES ('fire', '[]', 0, 'test', 'drill')",
}


@pytest.mark.parametrize("topic", sorted(WRITES))
def test_a_follower_learns_of_a_commit_from_another_connection(store: Store, topic: str) -> None:
    seen: list[set[str]] = []
    heard = threading.Event()

    def changed(topics: set[str]) -> None:
        seen.append(topics)
        heard.set()

    follower = ChangeFollower(store, topics={topic}, on_change=changed)
    follower.poll = 0.05 if store.is_sqlite else 60.0  # on PostgreSQL only NOTIFY wakes it
    thread = threading.Thread(target=follower.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not follower.seen:  # reading its first versions (on PostgreSQL, listening)
            assert time.monotonic() < deadline
            time.sleep(0.02)
        other = Store(store.url)
        with other.engine.begin() as connection:
            connection.execute(text(WRITES[topic]))
        other.dispose()
        assert heard.wait(30), "no change heard"
        assert seen[0] == {topic}
    finally:
        follower.stop()
        thread.join(90)
