"""``cordon user``, ``cordon token`` and ``cordon report`` on a real store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cordon.cli import app
from cordon.domain.roles import UserRole
from cordon.errors import NotAuthenticated, PasswordChangeRequired
from cordon.services import accounts
from cordon.store.db import Store

runner = CliRunner()


def cordon(db: str, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", db, *map(str, args)], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_users_tokens_and_report(sqlite_url: str, tmp_path: Path) -> None:
    db = sqlite_url
    assert cordon(db, "init")[0] == 0
    code, out, err = cordon(db, "user", "add", "lead", "--role", "command", "--json")
    assert code == 0, err
    made = json.loads(out)
    once, password = made["password"], "violet harbour lantern 19"
    assert made["one_time"] is True
    with Store(db).session() as session:
        with pytest.raises(PasswordChangeRequired):
            accounts.login(session, "lead", once)  # a generated password is single-use
        accounts.choose_password(session, "lead", once, password)
        assert accounts.login(session, "lead", password).actor.role is UserRole.COMMAND
    code, out, err = cordon(db, "user", "reset", "lead", "--json")
    assert code == 0, err
    with Store(db).session() as session:
        with pytest.raises(PasswordChangeRequired):
            accounts.login(session, "lead", json.loads(out)["password"])
        accounts.choose_password(session, "lead", json.loads(out)["password"], password)
    code, _out, err = cordon(db, "user", "add", "lead", "--role", "medical")
    assert code == 1
    assert "exists already" in err
    code, _out, err = cordon(db, "user", "add", "weak", "--role", "medical", "--password-stdin",
                             stdin="short\n")  # fmt: skip
    assert code == 1
    assert "at least 12" in err
    assert cordon(db, "user", "add", "gate", "--role", "door", "--no-password")[0] == 0
    code, out, _err = cordon(db, "token", "create", "gate", "--scope", "decide_access", "--json")
    assert code == 0
    made = json.loads(out)
    assert made["scopes"] == ["decide_access"]
    code, _out, err = cordon(db, "token", "create", "gate", "--scope", "read_people")
    assert code == 1
    assert "cannot hold" in err
    listed = json.loads(cordon(db, "token", "list", "--json")[1])
    assert [t["revoked"] for t in listed] == [False]
    assert cordon(db, "token", "revoke", str(made["id"]))[0] == 0
    assert json.loads(cordon(db, "token", "list", "--json")[1])[0]["revoked"] is True
    users = json.loads(cordon(db, "user", "list", "--json")[1])
    assert {u["name"]: u["role"] for u in users} == {"gate": "door", "lead": "command"}
    assert cordon(db, "user", "disable", "lead")[0] == 0
    with Store(db).session() as session, pytest.raises(NotAuthenticated):
        accounts.login(session, "lead", password)
    html = tmp_path / "sitrep.html"
    code, _out, err = cordon(db, "report", "--out", str(html))
    assert code == 0, err
    assert "cordon situation report" in html.read_text()
    assert cordon(db, "report", "--out", str(tmp_path / "x.txt"))[0] == 1


REFUSED = [
    ("Abcdefghijk1", "too easy to guess"),
    (" " * 11 + "ab12", "at least 12 characters besides blanks"),
    ("Zz9!" + "\0" * 10, "control or invisible"),
]
"""The issue's weak passwords and the reason the CLI must print for each."""


def test_weak_passwords_are_refused_by_user_add_and_user_password(sqlite_url: str) -> None:
    db = sqlite_url
    assert cordon(db, "init")[0] == 0
    assert cordon(db, "user", "add", "lead", "--role", "command")[0] == 0
    for password, why in REFUSED:
        code, _out, err = cordon(
            db, "user", "add", "drlee", "--role", "medical", "--password-stdin",
            stdin=password + "\n",
        )  # fmt: skip
        assert code == 1
        assert why in " ".join(err.split()), err
        assert "Traceback" not in err
        code, _out, err = cordon(db, "user", "password", "lead", stdin=password + "\n")
        assert code == 1
        assert why in " ".join(err.split()), err
    users = json.loads(cordon(db, "user", "list", "--json")[1])
    assert [u["name"] for u in users] == ["lead"]
