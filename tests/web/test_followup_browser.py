"""Follow-up in a real headless Chromium: a monitored person opens her self-report link on a
phone-sized screen and reports; the nurse sees it on the day's round and records another check
from the keyboard; the link is refused once revoked, and an expired one is refused too.
Screenshots go to test-artifacts/browser/."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC

import pytest

from cordon.api import create_app
from cordon.api.settings import ServiceSettings
from cordon.domain.roles import UserRole
from cordon.services import accounts, selfreport
from cordon.store.db import Store
from tests.api.conftest import PASSWORD, ROOT
from tests.web.test_browser import ARTIFACTS, CHROMIUM, _free_port, pytestmark
from tests.web.test_containment_pages import CLOCK, venus

__all__ = ["pytestmark", "venus"]

NURSE = accounts.Actor("nurse", UserRole.MEDICAL)


@pytest.fixture
def station(venus: Store) -> Iterator[tuple[str, Store]]:
    """The service on the miniature Venus at 06:00 on day 6, on a loopback port."""
    import uvicorn

    with venus.session() as session:
        accounts.add_user(session, "nurse", role=UserRole.MEDICAL, password=PASSWORD, actor=ROOT)
    settings = ServiceSettings(database_url=venus.url, clock=CLOCK, cookie_secure=False)
    app = create_app(settings, store=venus)
    port = _free_port()
    running = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://localhost:{port}", venus
    finally:
        running.should_exit = True
        thread.join(10)


def test_a_self_report_from_a_phone_reaches_the_round(station: tuple[str, Store]) -> None:
    from playwright.sync_api import expect, sync_playwright

    server, store = station
    now = ServiceSettings(clock=CLOCK).now()
    with store.session() as session:
        token, link = selfreport.issue_link(session, actor=NURSE, person="w7", now=now, zone=UTC)
        expired, _ = selfreport.issue_link(
            session, actor=NURSE, person="w7", now=now - 7200, zone=UTC, until=now - 60
        )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
        phone.set_default_timeout(20_000)
        page = phone.new_page()
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(f"{server}/r/{token}")
        expect(page.locator("h2")).to_contain_text("Gina")
        page.check("#check-w7 input[value=well]")
        page.fill("#check-w7 input[name=temperature]", "36.7")
        page.click("#check-w7 button[type=submit]")
        expect(page.locator("#report-done")).to_contain_text("recorded")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the self-report page scrolls sideways on a phone ({width}px)"
        page.screenshot(path=str(ARTIFACTS / "selfreport-phone.png"), full_page=True)

        desk = browser.new_context(viewport={"width": 1280, "height": 900})
        desk.set_default_timeout(20_000)
        nurse = desk.new_page()
        nurse.on("pageerror", lambda e: problems.append(str(e)))
        nurse.goto(f"{server}/login")
        nurse.fill("input[name=name]", "nurse")
        nurse.fill("input[name=password]", PASSWORD)
        nurse.click("button[type=submit]")
        nurse.goto(f"{server}/followups")
        row = nurse.locator("tr[data-person=w7]")
        expect(row).to_contain_text("well")
        expect(row).to_contain_text("self:w7")
        # The round from the keyboard: w1's status by its first letter, Tab to °C, Enter.
        nurse.focus("select[aria-label='status of w1']")
        nurse.keyboard.press("w")
        nurse.keyboard.press("Tab")
        nurse.keyboard.type("36.9")
        nurse.keyboard.press("Enter")
        expect(nurse.locator("#round-recorded")).to_contain_text("1 check(s) recorded")
        expect(nurse.locator("tr[data-person=w1]")).to_contain_text("36.9")
        nurse.screenshot(path=str(ARTIFACTS / "followups-round.png"), full_page=True)

        with store.session() as session:
            selfreport.revoke_link(session, link.id, actor=NURSE, at=now)
        answer = page.goto(f"{server}/r/{token}")
        assert answer is not None and answer.status == 410
        expect(page.locator("#link-refused")).to_contain_text("revoked")
        answer = page.goto(f"{server}/r/{expired}")
        assert answer is not None and answer.status == 410
        expect(page.locator("#link-refused")).to_contain_text("expired")
        browser.close()
    assert problems == [], problems
