"""The containment commands end to end on the miniature Venus (SQLite): rules, missing, decide,
orders, moratorium, gatherings, alerts, emergency; each with --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cordon.cli import app
from tests import factory

runner = CliRunner()


def cordon(db: str, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", db, *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


def ok(db: str, *args: str) -> object:
    code, out, err = cordon(db, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def decide(db: str, at: str, *args: str, code: int = 0) -> dict[str, object]:
    """``cordon decide`` at ``at`` with the station clock set to it; exit 0 allow, 3 deny."""
    got, out, err = cordon(db, "--clock", at, "decide", *args, "--at", at, "--json")
    answer = json.loads(out)
    assert got == (0 if answer["allowed"] else 3) == code, err
    return answer  # type: ignore[no-any-return]


@pytest.fixture
def venus(sqlite_url: str, tmp_path: Path) -> str:
    assert cordon(sqlite_url, "init")[0] == 0
    for kind, path in factory.venus_mini(tmp_path).items():
        code, _, err = cordon(sqlite_url, "import", kind, str(path))
        assert code == 0, err
    return sqlite_url


def test_rules_missing_and_decide_from_the_command_line(venus: str) -> None:
    report = ok(venus, "rules", "apply", "--now", "2026-11-25T06:00:00Z")
    assert isinstance(report, dict) and len(report["orders"]) >= 6
    assert ok(venus, "rules", "apply", "--now", "2026-11-25T06:00:00Z")["firings"] == []  # type: ignore[index]
    found = ok(venus, "missing", "--at", "2026-11-25T06:00:00Z")
    assert isinstance(found, list)
    departed = {
        m["person"]: m for m in found if m["status"] == "departed" and m["role"] == "performer"
    }
    assert set(departed) == {"w3", "w4", "w5", "w6"}
    egress = departed["w3"]["egress"]
    assert egress["place"] == "al-1" and egress["credential"] == "foreign"
    assert egress["time"] == "2026-11-25T01:10:00+00:00"
    assert [c["person"] for c in egress["companions"]] == ["v2"]
    only = ok(venus, "missing", "--at", "2026-11-25T06:00:00Z", "--role", "crew", "--no-record")
    assert {m["role"] for m in only} == {"visiting_crew"}  # type: ignore[union-attr]
    deny = decide(venus, "2026-11-25T06:00:00Z", "w1", "al-1", "out", code=3)
    assert deny == {**deny, "allowed": False, "door": "al-1"}  # type: ignore[dict-item]
    assert "under order" in deny["reason"]  # type: ignore[index]
    let = decide(
        venus, "2026-11-25T06:00:00Z", "w1", "al-1", "out", "--override", "dominic", "--why", "x"
    )
    assert let["allowed"] is True and let["override_by"] == "dominic"  # type: ignore[index]
    kinds = {a["kind"] for a in ok(venus, "alerts", "--limit", "500")}  # type: ignore[union-attr]
    assert {"held_at_exit", "override", "case_departed", "foreign_credential"} <= kinds
    code, _, err = cordon(venus, "decide", "w1", "al-1", "sideways")
    assert code != 0 and "not one of" in err


def test_orders_moratorium_gatherings_and_emergency(venus: str) -> None:
    order = ok(
        venus,
        "order",
        "hold",
        "g1",
        "--reason",
        "questioning",
        "--start",
        "2026-11-25T06:00:00Z",
        "--for",
        "2h",
    )
    assert order["kind"] == "egress_hold" and order["expiry"] == "2026-11-25T08:00:00+00:00"  # type: ignore[index]
    held = ok(venus, "order", "holds", "--at", "2026-11-25T07:00:00Z")
    assert [h["person"] for h in held] == ["g1"]  # type: ignore[union-attr]
    assert decide(venus, "2026-11-25T07:00:00Z", "g1", "dock", "out", code=3)["allowed"] is False
    lifted = ok(
        venus, "order", "lift", str(order["id"]), "--reason", "done", "--at", "2026-11-25T07:30:00Z"
    )  # type: ignore[index]
    assert lifted["status"] == "lifted"  # type: ignore[index]
    code, _, err = cordon(venus, "order", "lift", str(order["id"]), "--reason", "again")  # type: ignore[index]
    assert code == 1 and "final" in err
    issued = ok(
        venus,
        "moratorium",
        "issue",
        "--reason",
        "just for today",
        "--today",
        "--start",
        "2026-11-25T12:00:00Z",
    )
    assert issued["order"]["expiry"] == "2026-11-26T00:00:00+00:00"  # type: ignore[index]
    assert len(issued["suspended"]) == 4  # type: ignore[index]
    listed = ok(venus, "moratorium", "list")
    assert [g["id"] for g in listed["suspended"]] == ["show-1", "show-2", "ww-1", "show-3"]  # type: ignore[index]
    # reads never expire orders: the periodic task (here by hand) does
    assert ok(venus, "order", "list", "--kind", "moratorium")[0]["status"] == "active"  # type: ignore[index]
    assert len(ok(venus, "order", "expire", "--at", "2026-11-25T23:59:59Z")) == 0
    assert len(ok(venus, "order", "expire", "--at", "2026-11-26T00:00:00Z")) == 1
    gatherings = ok(venus, "gatherings")
    assert not any(g["suspended"] for g in gatherings)  # type: ignore[union-attr]
    expired = ok(venus, "order", "list", "--kind", "moratorium")
    assert expired[0]["status"] == "expired"  # type: ignore[index]
    code, out, _ = cordon(
        venus,
        "emergency",
        "declare",
        "decompression",
        "--reason",
        "hull breach",
        "--start",
        "2026-11-25T06:00:00Z",
        "--json",
    )
    assert code == 0
    assert (
        decide(venus, "2026-11-25T06:10:00Z", "w1", "al-2", "out")["emergency"]
        == json.loads(out)["id"]
    )  # type: ignore[index]


def test_exit_policies_and_group_holds_from_the_command_line(venus: str) -> None:
    at = "2026-11-25T06:00:00Z"
    assert decide(venus, at, "ghost", "al-1", "out")["reason"] == "no order binds"
    foreign = ok(venus, "policy", "set", "foreign", "--reason", "station devices only",
                 "--action", "hold", "--exempt-role", "crew")  # fmt: skip
    assert foreign["name"] == "foreign-credential" and foreign["exempt_roles"] == ["visiting_crew"]
    ok(venus, "policy", "set", "escort", "--reason", "no escorts", "--companion-role", "crew")
    ok(venus, "policy", "set", "unknown", "--reason", "known ids only")
    again = ok(venus, "policy", "set", "unknown", "--reason", "known ids, and call security",
               "--action", "hold")  # fmt: skip
    assert again["version"] == 2
    denied = decide(venus, at, "w8", "al-1", "out", "--credential", "foreign", code=3)
    assert denied["policy"] == foreign["id"] and "foreign credential" in denied["reason"]
    escorted = decide(venus, at, "w8", "al-2", "out", "--companion", "V2", code=3)
    assert "leaving with v2 (visiting crew)" in escorted["reason"]
    unknown = decide(venus, at, "ghost", "al-1", "out", code=3)
    assert unknown["policy"] == again["id"]
    assert decide(venus, at, "v2", "al-1", "out", "--credential", "foreign")["allowed"] is True
    code, out, _ = cordon(venus, "--clock", at, "decide", "ghost", "al-1", "out")
    assert code == 3 and out.startswith("DENY ghost out al-1: exit policy unknown-person v2")
    code, _, err = cordon(venus, "--clock", at, "decide", "ghost", "al-1", "out", "--at",
                          "2026-11-25T05:50:00Z")  # fmt: skip
    assert code == 3
    code, _, err = cordon(venus, "decide", "w8", "al-1", "north")
    assert code == 1 and "not one of" in err  # an error is 1, not a deny
    history = ok(venus, "policy", "history", "unknown-person")
    assert [(v["version"], v["status"]) for v in history] == [(1, "superseded"), (2, "active")]
    assert ok(venus, "policy", "lift", "unknown-person", "--reason", "drill over")["status"] == (
        "lifted"
    )
    assert decide(venus, at, "ghost", "al-1", "out")["allowed"] is True
    assert len(ok(venus, "policy", "list")) == 2
    assert len(ok(venus, "policy", "list", "--all")) == 4
    held = ok(venus, "order", "hold", "--role", "performer", "--reason", "all", "--start", at)
    assert held["person"] is None and held["scope"]["roles"] == ["performer"]
    for who in ("w1", "w2", "w7"):
        assert decide(venus, at, who, "dock", "out", code=3)["order"] == held["id"]
    assert decide(venus, at, "w8", "dock", "out")["allowed"] is True
    ok(venus, "order", "lift", str(held["id"]), "--reason", "cleared")
    assert decide(venus, at, "w7", "dock", "out")["allowed"] is True
    code, _, err = cordon(venus, "order", "hold", "--state", "sneezing", "--reason", "x")
    assert code == 1 and "unknown case state sneezing" in err
    code, _, err = cordon(venus, "order", "hold", "--reason", "nobody")
    assert code == 1 and "name a person, or a group" in err
