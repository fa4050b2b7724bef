"""Every route through HTTP: what it answers, what it writes, how it refuses."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from cordon.domain.roles import UserRole
from cordon.store.db import Store
from cordon.store.models import AuditRow, ExposureRow, LabResultRow, OrderRow
from tests.api.conftest import bearer

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
"""For routes whose work does not touch the database differently (the rest run on both)."""

LEAD, MEDIC, GUARD, WATCHER, DOOR = (
    UserRole.COMMAND,
    UserRole.MEDICAL,
    UserRole.SECURITY,
    UserRole.OBSERVER,
    UserRole.DOOR,
)


def _count(store: Store, model: type) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@SQLITE_ONLY
def test_health_needs_no_sign_in(client: TestClient) -> None:
    answer = client.get("/api/v1/health")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"


@SQLITE_ONLY
def test_openapi_is_published(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/people" in spec["paths"]
    assert "PersonPage" in spec["components"]["schemas"]


@SQLITE_ONLY
def test_no_credentials_is_401_and_a_bad_token_too(client: TestClient) -> None:
    assert client.get("/api/v1/people").status_code == 401
    bad = client.get("/api/v1/people", headers=bearer("cordon_nonsense"))
    assert bad.status_code == 401
    assert bad.headers["WWW-Authenticate"] == "Bearer"


def test_people_page_filter_and_paging(client: TestClient, tokens: dict[UserRole, str]) -> None:
    auth = bearer(tokens[LEAD])
    everyone = client.get("/api/v1/people", headers=auth).json()
    assert everyone["total"] == 5
    assert [p["id"] for p in everyone["items"]] == ["m1", "p1", "p2", "p3", "v1"]
    page = client.get("/api/v1/people?limit=2&offset=2", headers=auth).json()
    assert [p["id"] for p in page["items"]] == ["p2", "p3"]
    assert page["total"] == 5
    crew = client.get("/api/v1/people?role=visiting_crew", headers=auth).json()
    assert [p["id"] for p in crew["items"]] == ["v1"]
    found = client.get("/api/v1/people?search=steph", headers=auth).json()
    assert [p["name"] for p in found["items"]] == ["Stephanie"]
    assert client.get("/api/v1/people?limit=0", headers=auth).status_code == 422


def test_places_with_kind_and_exit_filters(client: TestClient, tokens: dict[UserRole, str]) -> None:
    auth = bearer(tokens[WATCHER])
    places = client.get("/api/v1/places", headers=auth).json()
    assert places["total"] == 5
    exits = client.get("/api/v1/places?exit=true", headers=auth).json()
    assert [p["id"] for p in exits["items"]] == ["al-1"]
    wards = client.get("/api/v1/places?kind=ward", headers=auth).json()
    assert [p["id"] for p in wards["items"]] == ["ward-1"]


def test_timeline_as_medical_is_complete_and_audited(
    client: TestClient, tokens: dict[UserRole, str], facility: Store
) -> None:
    before = _count(facility, AuditRow)
    answer = client.get("/api/v1/people/p1/timeline", headers=bearer(tokens[MEDIC]))
    assert answer.status_code == 200
    body = answer.json()
    assert body["case"]["clinical"] == "confirmed"
    kinds = {e["kind"] for e in body["items"]}
    assert {"presence", "exposure", "lab"} <= kinds
    with facility.session() as session:
        last = session.scalars(select(AuditRow).order_by(AuditRow.pk.desc())).first()
    assert _count(facility, AuditRow) == before + 1
    assert last is not None
    assert (last.actor, last.action, last.entity_id) == ("medical", "read", "p1")


def test_timeline_as_security_has_no_clinical_detail(
    client: TestClient, tokens: dict[UserRole, str]
) -> None:
    body = client.get("/api/v1/people/p1/timeline", headers=bearer(tokens[GUARD])).json()
    assert body["case"]["clinical"] is None
    assert body["case"]["containment"] == "under_order"
    assert {e["kind"] for e in body["items"]} <= {"presence", "passage", "order"}


@SQLITE_ONLY
def test_unknown_person_is_404(client: TestClient, tokens: dict[UserRole, str]) -> None:
    answer = client.get("/api/v1/people/nobody/timeline", headers=bearer(tokens[LEAD]))
    assert answer.status_code == 404
    assert "nobody" in answer.json()["detail"]


def test_cases_filter_and_clinical_redaction(
    client: TestClient, tokens: dict[UserRole, str]
) -> None:
    medic = client.get("/api/v1/cases?status=confirmed", headers=bearer(tokens[MEDIC])).json()
    assert [c["person"] for c in medic["items"]] == ["p1"]
    assert medic["total"] == 1
    guard = client.get("/api/v1/cases", headers=bearer(tokens[GUARD])).json()
    assert guard["total"] == 2
    assert all(c["clinical"] is None for c in guard["items"])
    refused = client.get("/api/v1/cases?status=confirmed", headers=bearer(tokens[GUARD]))
    assert refused.status_code == 403
    isolated = client.get("/api/v1/cases?status=isolated", headers=bearer(tokens[GUARD]))
    assert isolated.status_code == 403  # "isolated" would name the confirmed cases
    held = client.get("/api/v1/cases?status=under_order", headers=bearer(tokens[GUARD])).json()
    assert [(c["person"], c["containment"]) for c in held["items"]] == [("p1", "under_order")]
    assert client.get("/api/v1/cases?status=bogus", headers=bearer(tokens[LEAD])).status_code == 422


def test_case_transition_and_a_forbidden_one(
    client: TestClient, tokens: dict[UserRole, str]
) -> None:
    auth = bearer(tokens[MEDIC])
    moved = client.post(
        "/api/v1/cases/p2/transition",
        json={"reason": "symptoms", "clinical": "suspected", "containment": "quarantined"},
        headers=auth,
    )
    assert moved.status_code == 200
    assert moved.json()["clinical"] == "suspected"
    refused = client.post(
        "/api/v1/cases/p1/transition",
        json={"reason": "oops", "containment": "free"},
        headers=auth,
    )
    assert refused.status_code == 409
    assert "confirmed" in refused.json()["detail"]


def test_exposures_list_filters_and_recording(
    client: TestClient, tokens: dict[UserRole, str], facility: Store
) -> None:
    auth = bearer(tokens[MEDIC])
    listed = client.get("/api/v1/exposures?person=p2", headers=auth).json()
    assert listed["total"] == 1
    assert listed["items"][0]["a"] == "p1"
    assert client.get("/api/v1/exposures?route=fluid", headers=auth).json()["total"] == 0
    made = client.post(
        "/api/v1/exposures",
        json={"a": "p2", "b": "v1", "start": 1763740000, "end": 1763740600, "place": "hall"},
        headers=auth,
    )
    assert made.status_code == 201
    assert made.json()["duration_s"] == 600
    assert _count(facility, ExposureRow) == 2
    same = client.post(
        "/api/v1/exposures",
        json={"a": "p2", "b": "p2", "start": 1, "end": 2},
        headers=auth,
    )
    assert same.status_code == 422


def test_lab_results_list_is_audited_and_recording_refuses_duplicates(
    client: TestClient, tokens: dict[UserRole, str], facility: Store
) -> None:
    auth = bearer(tokens[MEDIC])
    before = _count(facility, AuditRow)
    positives = client.get("/api/v1/lab-results?result=positive", headers=auth).json()
    assert [r["person"] for r in positives["items"]] == ["p1"]
    assert _count(facility, AuditRow) == before + 1
    body = {"person": "v1", "collected_at": 1763800000, "assay": "nanite PCR", "result": "positive"}
    assert client.post("/api/v1/lab-results", json=body, headers=auth).status_code == 201
    assert client.post("/api/v1/lab-results", json=body, headers=auth).status_code == 422
    assert _count(facility, LabResultRow) == 3


def test_orders_issue_list_lift(client: TestClient, tokens: dict[UserRole, str]) -> None:
    guard = bearer(tokens[GUARD])
    issued = client.post(
        "/api/v1/orders",
        json={"kind": "egress_hold", "person": "v1", "reason": "contact of p1"},
        headers=guard,
    )
    assert issued.status_code == 201
    order = issued.json()
    assert (order["status"], order["issuer"]) == ("active", "security")
    listed = client.get("/api/v1/orders?kind=egress_hold&status=active", headers=guard).json()
    assert [o["id"] for o in listed["items"]] == [order["id"]]
    lifted = client.post(
        f"/api/v1/orders/{order['id']}/lift", json={"reason": "cleared"}, headers=guard
    )
    assert lifted.json()["status"] == "lifted"
    again = client.post(
        f"/api/v1/orders/{order['id']}/lift", json={"reason": "twice"}, headers=guard
    )
    assert again.status_code == 409
    missing = client.post("/api/v1/orders/9999/lift", json={"reason": "x"}, headers=guard)
    assert missing.status_code == 404


def test_security_may_hold_but_not_quarantine_and_nothing_is_written(
    client: TestClient, tokens: dict[UserRole, str], facility: Store
) -> None:
    before = (_count(facility, OrderRow), _count(facility, AuditRow))
    answer = client.post(
        "/api/v1/orders",
        json={"kind": "quarantine", "person": "v1", "reason": "contact"},
        headers=bearer(tokens[GUARD]),
    )
    assert answer.status_code == 403
    assert (_count(facility, OrderRow), _count(facility, AuditRow)) == before


def test_medical_orders_show_under_order_to_security(
    client: TestClient, tokens: dict[UserRole, str]
) -> None:
    client.post(
        "/api/v1/orders",
        json={"kind": "isolation", "person": "p1", "reason": "PCR 1200/uL", "evidence": ["lab"]},
        headers=bearer(tokens[MEDIC]),
    )
    seen = client.get("/api/v1/orders", headers=bearer(tokens[GUARD])).json()["items"][0]
    assert (seen["reason"], seen["evidence"]) == ("under order", [])
    medic = client.get("/api/v1/orders", headers=bearer(tokens[MEDIC])).json()["items"][0]
    assert medic["reason"] == "PCR 1200/uL"


def test_moratorium_needs_a_scope_not_a_person(
    client: TestClient, tokens: dict[UserRole, str]
) -> None:
    auth = bearer(tokens[LEAD])
    bad = client.post(
        "/api/v1/orders",
        json={"kind": "moratorium", "person": "p1", "reason": "shows"},
        headers=auth,
    )
    assert bad.status_code == 422
    good = client.post(
        "/api/v1/orders",
        json={"kind": "moratorium", "reason": "no shows", "scope": {"places": ["hall"]}},
        headers=auth,
    )
    assert good.status_code == 201
    assert good.json()["scope"]["places"] == ["hall"]


def test_gatherings_hide_names_from_the_observer(
    client: TestClient, tokens: dict[UserRole, str]
) -> None:
    upload = client.post(
        "/api/v1/imports?kind=gatherings",
        files={
            "file": (
                "gatherings.csv",
                "id,name,place,start,end,participants,kind\n"
                "g1,Gala,hall,2026-11-21T19:00Z,2026-11-21T23:00Z,p1;p2,show\n",
            )
        },
        headers=bearer(tokens[LEAD]),
    )
    assert upload.status_code == 201, upload.json()
    lead = client.get("/api/v1/gatherings", headers=bearer(tokens[LEAD])).json()
    assert lead["items"][0]["participants"] == ["p1", "p2"]
    watcher = client.get("/api/v1/gatherings", headers=bearer(tokens[WATCHER])).json()
    assert watcher["items"][0]["participants"] == []
    assert watcher["items"][0]["participant_count"] == 2
    later = client.get("/api/v1/gatherings?start=1800000000", headers=bearer(tokens[LEAD]))
    assert later.json()["total"] == 0


def test_import_refused_names_the_bad_rows_and_writes_nothing(
    client: TestClient, tokens: dict[UserRole, str], facility: Store
) -> None:
    before = _count(facility, AuditRow)
    answer = client.post(
        "/api/v1/imports?kind=lab",
        files={"file": ("lab.csv", "person,collected_at,assay,result,quantity\nzz,x,a,maybe,\n")},
        headers=bearer(tokens[MEDIC]),
    )
    assert answer.status_code == 422  # refused: not "created"
    job = answer.json()
    assert job["status"] == "failed"
    assert any("line 2" in p for p in job["problems"])
    assert "cordon-upload-" not in answer.text and "lab.csv" in job["error"]  # no server paths
    assert _count(facility, AuditRow) == before


@SQLITE_ONLY
def test_a_large_import_runs_as_a_job_with_progress(
    client: TestClient, tokens: dict[UserRole, str], app: object
) -> None:
    app.state.settings.sync_import_bytes = 10  # type: ignore[attr-defined]
    rows = "".join(
        f"p1,hall,{1763900000 + i * 60},{1763900000 + i * 60 + 30}\n" for i in range(300)
    )
    auth = bearer(tokens[LEAD])
    answer = client.post(
        "/api/v1/imports?kind=presence",
        files={"file": ("presence.csv", "person,place,start,end\n" + rows)},
        headers=auth,
    )
    assert answer.status_code == 202
    job_id = answer.json()["id"]
    deadline = time.monotonic() + 30
    while (job := client.get(f"/api/v1/jobs/{job_id}", headers=auth).json())["status"] in (
        "queued",
        "running",
    ):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert job["status"] == "done", job
    assert job["result"]["added"] == 300
    assert job["done"] == 300
    mine = client.get("/api/v1/jobs", headers=auth).json()
    assert job_id in [j["id"] for j in mine["items"]]
    other = client.get(f"/api/v1/jobs/{job_id}", headers=bearer(tokens[MEDIC]))
    assert other.status_code == 404


@SQLITE_ONLY
def test_upload_of_a_kind_the_role_may_not_import_is_403(
    client: TestClient, tokens: dict[UserRole, str]
) -> None:
    answer = client.post(
        "/api/v1/imports?kind=people",
        files={"file": ("people.csv", "id,name,role\nx1,X,staff\n")},
        headers=bearer(tokens[MEDIC]),
    )
    assert answer.status_code == 403


def test_alerts_list_acknowledge_and_stream(
    client: TestClient, tokens: dict[UserRole, str]
) -> None:
    guard = bearer(tokens[GUARD])
    client.post(
        "/api/v1/orders",
        json={"kind": "egress_hold", "person": "v1", "reason": "contact"},
        headers=guard,
    )
    alerts = client.get("/api/v1/alerts?open_only=true", headers=guard).json()
    assert alerts["total"] == 1
    alert = alerts["items"][0]
    assert (alert["kind"], alert["person"]) == ("order_issued", "v1")
    with client.stream("GET", "/api/v1/alerts/stream?after=0&seconds=0.3", headers=guard) as s:
        assert s.headers["content-type"].startswith("text/event-stream")
        text = s.read().decode()
    assert f"id: {alert['id']}\nevent: alert\n" in text
    assert '"order_issued"' in text
    ack = client.post(f"/api/v1/alerts/{alert['id']}/acknowledge", headers=guard)
    assert ack.status_code == 200
    assert client.get("/api/v1/alerts?open_only=true", headers=guard).json()["total"] == 0
    (first,) = client.get("/api/v1/alerts", headers=guard).json()["items"]
    lead = bearer(tokens[UserRole.COMMAND])
    again = client.post(f"/api/v1/alerts/{alert['id']}/acknowledge", headers=lead)
    assert again.status_code == 200
    (kept,) = client.get("/api/v1/alerts", headers=guard).json()["items"]
    assert (kept["acknowledged_at"], kept["acknowledged_by"]) == (
        first["acknowledged_at"],
        first["acknowledged_by"],
    )  # the first acknowledgement stands
    assert first["acknowledged_by"] is not None
    assert client.post("/api/v1/alerts/999/acknowledge", headers=guard).status_code == 404


@SQLITE_ONLY
def test_the_stream_sends_only_alerts_raised_after_it_opened(
    client: TestClient, tokens: dict[UserRole, str]
) -> None:
    guard = bearer(tokens[GUARD])
    client.post(
        "/api/v1/orders",
        json={"kind": "egress_hold", "person": "v1", "reason": "old"},
        headers=guard,
    )
    with client.stream("GET", "/api/v1/alerts/stream?seconds=0.2", headers=guard) as s:
        text = s.read().decode()
    assert "event: alert" not in text


def test_situation_counts_and_curve(client: TestClient, tokens: dict[UserRole, str]) -> None:
    body = client.get("/api/v1/situation", headers=bearer(tokens[WATCHER])).json()
    assert body["people"] == 5
    assert body["clinical"]["confirmed"] == 1
    assert body["clinical"]["exposed"] == 1
    assert body["containment"]["isolated"] == 1
    assert body["containment"]["free"] == 4
    assert body["curve"]["days"]
    assert sum(body["curve"]["series"]["confirmed"]) == 1
    assert sum(body["curve"]["series"]["first positive specimen"]) == 1


def test_audit_list_filters(client: TestClient, tokens: dict[UserRole, str]) -> None:
    auth = bearer(tokens[LEAD])
    cases = client.get("/api/v1/audit?entity=case", headers=auth).json()
    assert cases["total"] == 2
    assert {e["entity_id"] for e in cases["items"]} == {"p1", "p2"}
    by_test = client.get("/api/v1/audit?by=test&limit=1", headers=auth).json()
    assert len(by_test["items"]) == 1
    assert by_test["total"] > 1


@SQLITE_ONLY
def test_an_open_stream_ends_when_its_token_is_revoked(
    client: TestClient,
    tokens: dict[UserRole, str],
    facility: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    from cordon.api.routes import alerts
    from cordon.services import accounts
    from tests.api.conftest import ROOT

    monkeypatch.setattr(alerts, "RECHECK_SECONDS", 0.1)
    with facility.session() as session:
        token_id = next(t.id for t in accounts.list_tokens(session, actor=ROOT, everyone=True)
                        if t.user == "security")  # fmt: skip

    def revoke() -> None:
        with facility.session() as session:
            accounts.revoke_token(session, token_id, actor=ROOT)

    threading.Timer(0.5, revoke).start()
    began = time.monotonic()
    url = "/api/v1/alerts/stream?seconds=30"
    with client.stream("GET", url, headers=bearer(tokens[GUARD])) as stream:
        assert stream.status_code == 200
        text = stream.read().decode()
    assert "event: end" in text
    assert time.monotonic() - began < 10


@SQLITE_ONLY
def test_report_html_and_pdf(client: TestClient, tokens: dict[UserRole, str]) -> None:
    auth = bearer(tokens[LEAD])
    html = client.get("/api/v1/report", headers=auth)
    assert html.status_code == 200
    assert "cordon situation report" in html.text
    assert 'src="data:image/svg+xml;base64,' in html.text
    assert "default-src 'none'" in html.headers["content-security-policy"]
    assert "p1" in html.text
    pdf = client.get("/api/v1/report?format=pdf", headers=auth)
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    watcher = client.get("/api/v1/report", headers=bearer(tokens[WATCHER]))
    assert watcher.status_code == 200
    assert "p1" not in watcher.text.split("<body>")[1]


@SQLITE_ONLY
def test_users_and_tokens_routes(client: TestClient, tokens: dict[UserRole, str]) -> None:
    auth = bearer(tokens[LEAD])
    users = client.get("/api/v1/users", headers=auth).json()
    assert {u["name"] for u in users["items"]} == {r.value for r in UserRole}
    made = client.post("/api/v1/users", json={"name": "gate7", "role": "door"}, headers=auth)
    assert made.status_code == 201
    weak = client.post(
        "/api/v1/users", json={"name": "weak", "role": "medical", "password": "short"}, headers=auth
    )
    assert weak.status_code == 422
    token = client.post(
        "/api/v1/tokens",
        json={"name": "airlock 7", "user": "gate7", "scopes": ["decide_access"]},
        headers=auth,
    )
    assert token.status_code == 201
    secret = token.json()["secret"]
    assert client.get("/api/v1/auth/me", headers=bearer(secret)).json()["role"] == "door"
    everyone = client.get("/api/v1/tokens?everyone=true", headers=auth).json()
    assert "airlock 7" in [t["name"] for t in everyone["items"]]
    revoked = client.delete(f"/api/v1/tokens/{token.json()['id']}", headers=auth)
    assert revoked.json()["revoked_at"] is not None
    assert client.get("/api/v1/auth/me", headers=bearer(secret)).status_code == 401


def _job_result(client: TestClient, answer: Any, auth: dict[str, str]) -> dict[str, Any]:
    assert answer.status_code == 202, answer.text
    job_id = answer.json()["id"]
    deadline = time.monotonic() + 300
    while (job := client.get(f"/api/v1/jobs/{job_id}", headers=auth).json())["status"] in (
        "queued",
        "running",
    ):
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
    assert job["status"] == "done", job
    result: dict[str, Any] = job["result"]
    return result


def test_plans_and_the_report_run_as_jobs_with_the_answers_of_the_reads(
    client: TestClient, tokens: dict[UserRole, str]
) -> None:
    lead = bearer(tokens[LEAD])
    at = 1795348800
    now = client.get("/api/v1/plans/housing", params={"at": at}, headers=lead).json()
    job = _job_result(
        client, client.post("/api/v1/plans/housing", json={"at": at}, headers=lead), lead
    )
    assert job["beds"] == now["beds"] and job["status"] == now["status"]
    roster = client.get("/api/v1/plans/roster", params={"start": at, "days": 1}, headers=lead)
    queued = client.post("/api/v1/plans/roster", json={"start": at, "days": 1}, headers=lead)
    assert _job_result(client, queued, lead)["status"] == roster.json()["status"]
    report = _job_result(client, client.post("/api/v1/report", json={"at": at}, headers=lead), lead)
    assert report["html"].lstrip().lower().startswith("<!doctype html")
    refused = client.post("/api/v1/plans/roster", json={}, headers=bearer(tokens[WATCHER]))
    assert refused.status_code == 403
