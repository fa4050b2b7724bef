"""The notifications page in Chromium: the lead opens it from the navigation, reads their feed
and the delivery state, filters the failed ones."""

from __future__ import annotations

import time
from pathlib import Path

from cordon.services import notify
from cordon.store import outbox
from cordon.store.db import Store
from tests.api.conftest import PASSWORD
from tests.web.test_browser import ARTIFACTS, CHROMIUM, pytestmark, server

__all__ = ["pytestmark", "server"]


def test_the_notifications_page_in_chromium(server: str, facility: Store, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    fire = {
        "kind": "emergency",
        "at": 1795249400,
        "severity": "critical",
        "message": "fire in ring A",
        "person": None,
        "place": None,
        "evidence": [],
    }
    order = {"id": 9, "kind": "quarantine", "person": "p2", "start": 1795249400,
             "expiry": 1796459000, "issuer": "lead", "reason": "contact", "scope": {},
             "evidence": [], "status": "active", "supersedes": None}  # fmt: skip
    with facility.session() as session:
        outbox.add_events(
            session,
            [
                outbox.Event("alert", "alert:77", None, None, fire),
                outbox.Event("order_issued", "order:9", None, None, order),
            ],
        )
        session.commit()
        notify.relay(session, time.time())
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(20_000)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(f"{server}/login")
        page.fill("input[name=name]", "lead")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{server}/")
        page.click("header nav >> text=Notifications")
        expect(page).to_have_url(f"{server}/notifications")
        expect(page.locator("#my-feed")).to_contain_text("fire in ring A")
        table = page.locator("#notifications-table tbody")
        expect(table).to_contain_text("person:p2")
        expect(table).to_contain_text("alert.emergency")
        expect(table).to_contain_text("no channel")
        page.screenshot(path=str(ARTIFACTS / "notifications.png"), full_page=True)
        page.select_option("select[name=status]", "no_channel")
        page.click("form.filters button[type=submit]")
        expect(page).to_have_url(f"{server}/notifications?status=no_channel&recipient=")
        assert table.locator("tr").count() == 1
        expect(table).to_contain_text("You are in quarantine")
        browser.close()
    assert problems == []
