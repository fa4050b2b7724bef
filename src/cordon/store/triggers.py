"""The database triggers behind the change signal (``store.changes``), for SQLite and PostgreSQL.

A migration that rebuilds a watched table (SQLite's batch mode copies it) drops its triggers:
such a migration calls ``install_change_triggers`` again at its end, and
``tests/store/test_migrations.py`` fails when a watched table has none.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection, text

from cordon.store.changes import CHANNEL, COLUMNS, TOPICS

__all__ = ["drop_change_triggers", "install_change_triggers", "trigger_names"]

_FUNCTION = "cordon_changed"


def trigger_names(topics: Mapping[str, tuple[str, ...]] = TOPICS) -> dict[str, str]:
    """Table -> the name of the trigger (per statement or per operation) that watches it."""
    return {table: f"cordon_changed_{table}" for tables in topics.values() for table in tables}


def install_change_triggers(
    connection: Connection, topics: Mapping[str, tuple[str, ...]] = TOPICS
) -> None:
    """(Re)create the version rows and a trigger on every watched table of ``topics`` (a
    migration names the topics of its own schema); idempotent."""
    dialect = connection.dialect.name
    for topic in topics:
        if dialect == "postgresql":
            connection.execute(
                text("INSERT INTO change_version (topic, version) VALUES (:t, 0) "
                     "ON CONFLICT (topic) DO NOTHING"), {"t": topic},
            )  # fmt: skip
        else:
            connection.execute(
                text("INSERT OR IGNORE INTO change_version (topic, version) VALUES (:t, 0)"),
                {"t": topic},
            )
    drop_change_triggers(connection, topics, keep_function=True)
    names = trigger_names(topics)
    if dialect == "postgresql":
        connection.execute(
            text(
                f"CREATE OR REPLACE FUNCTION {_FUNCTION}() RETURNS trigger AS $$ "
                "BEGIN "
                "UPDATE change_version SET version = version + 1 WHERE topic = TG_ARGV[0]; "
                f"PERFORM pg_notify('{CHANNEL}', TG_ARGV[0]); "
                "RETURN NULL; "
                "END $$ LANGUAGE plpgsql"
            )
        )
        for topic, tables in topics.items():
            for table in tables:
                update = f"UPDATE OF {', '.join(COLUMNS[table])}" if table in COLUMNS else "UPDATE"
                connection.execute(
                    text(
                        f"CREATE TRIGGER {names[table]} AFTER INSERT OR {update} OR DELETE "
                        f"OR TRUNCATE ON {table} FOR EACH STATEMENT "
                        f"EXECUTE FUNCTION {_FUNCTION}('{topic}')"
                    )
                )
        return
    for topic, tables in topics.items():
        for table in tables:
            for event in ("INSERT", "UPDATE", "DELETE"):
                what = event
                if event == "UPDATE" and table in COLUMNS:
                    what = f"UPDATE OF {', '.join(COLUMNS[table])}"
                connection.execute(
                    text(
                        f"CREATE TRIGGER {names[table]}_{event.lower()} AFTER {what} ON {table} "
                        f"BEGIN UPDATE change_version SET version = version + 1 "
                        f"WHERE topic = '{topic}'; END"
                    )
                )


def drop_change_triggers(
    connection: Connection,
    topics: Mapping[str, tuple[str, ...]] = TOPICS,
    *,
    keep_function: bool = False,
) -> None:
    """Remove the change triggers of ``topics`` (and, on PostgreSQL, their function unless
    kept)."""
    names = trigger_names(topics)
    if connection.dialect.name == "postgresql":
        for table, name in names.items():
            connection.execute(text(f"DROP TRIGGER IF EXISTS {name} ON {table}"))
        if not keep_function:
            connection.execute(text(f"DROP FUNCTION IF EXISTS {_FUNCTION}()"))
        return
    for name in names.values():
        for event in ("insert", "update", "delete"):
            connection.execute(text(f"DROP TRIGGER IF EXISTS {name}_{event}"))
