"""The dashboard in a real headless Chromium (Debian's package, driven by Playwright): sign in,
charts drawn, a person's page, an egress hold issued, its alert arriving live in another tab,
the report downloaded. Screenshots go to test-artifacts/browser/."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cordon.api import create_app
from cordon.api.settings import ServiceSettings
from cordon.domain.roles import UserRole
from cordon.services import accounts
from cordon.store.db import Store
from tests.api.conftest import PASSWORD, ROOT
from tests.support.throttle import hold_the_clock

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="Chromium is not installed (make test installs the Debian package `chromium` as root)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(facility: Store) -> Iterator[str]:
    """The service on a loopback port, in a thread."""
    import uvicorn

    with facility.session() as session:
        accounts.add_user(session, "lead", role=UserRole.COMMAND, password=PASSWORD, actor=ROOT)
    app = create_app(
        ServiceSettings(database_url=facility.url, alert_poll_seconds=0.2), store=facility
    )
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://localhost:{port}"
    finally:
        running.should_exit = True
        thread.join(10)


def test_the_dashboard_in_chromium(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True
        )
        context.set_default_timeout(20_000)
        page = context.new_page()
        page.on(
            "console",
            lambda m: problems.append(f"{m.text} {m.location}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: problems.append(str(e)))

        page.goto(f"{server}/")
        expect(page).to_have_url(f"{server}/login")
        page.fill("input[name=name]", "lead")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{server}/")
        page.wait_for_selector("#chart-states .main-svg")
        page.wait_for_selector("#chart-curve .main-svg")
        assert page.locator("#chart-curve .bars path, #chart-curve .point path").count() > 0
        page.screenshot(path=str(ARTIFACTS / "overview-1280.png"), full_page=True)

        watch = context.new_page()
        watch.on("pageerror", lambda e: problems.append(str(e)))
        watch.goto(f"{server}/alerts")
        expect(watch.locator("#stream-state")).to_have_text("live")

        page.goto(f"{server}/people")
        page.click("text=v1")
        expect(page).to_have_url(f"{server}/people/v1")
        expect(page.locator("h1")).to_contain_text("Bahati")
        page.fill("#hold-form input[name=reason]", "contact of p1 in the hall")
        page.click("#hold-form button[type=submit]")
        expect(page.locator("#person-orders")).to_contain_text("egress hold")
        page.screenshot(path=str(ARTIFACTS / "person-after-hold.png"), full_page=True)

        arrived = watch.locator("#alert-feed li.alert.new")
        expect(arrived.first).to_contain_text("egress hold on v1")
        watch.screenshot(path=str(ARTIFACTS / "alerts-live.png"), full_page=True)

        page.goto(f"{server}/")
        with page.expect_download() as waiting:
            page.click("#report-pdf")
        report = tmp_path / "report.pdf"
        waiting.value.save_as(report)
        assert report.read_bytes().startswith(b"%PDF")

        page.set_viewport_size({"width": 820, "height": 1180})
        page.goto(f"{server}/cases")
        page.screenshot(path=str(ARTIFACTS / "cases-tablet.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 820, f"the cases page scrolls sideways on a tablet ({width}px)"
        page.goto(f"{server}/")
        page.wait_for_selector("#chart-curve .main-svg")
        page.screenshot(path=str(ARTIFACTS / "overview-tablet.png"), full_page=True)
        browser.close()
    assert problems == [], problems


def test_a_weak_new_password_and_a_paused_sign_in_as_a_person_sees_them(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import expect, sync_playwright

    hold_the_clock(monkeypatch)  # the tries are a burst however slow the machine

    from cordon.runtime.throttle import LADDERS, MESSAGE

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.set_default_timeout(20_000)
        page.goto(f"{server}/login")
        page.fill("input[name=name]", "lead")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(f"{server}/")
        page.click("header .who a[href='/account']")
        expect(page).to_have_url(f"{server}/account")
        page.fill("input[name=current]", PASSWORD)
        page.fill("input[name=new]", "Abcdefghijk1")
        page.click("form[action='/account/password'] button[type=submit]")
        expect(page.locator("p.error")).to_contain_text("the password is too easy to guess")
        page.screenshot(path=str(ARTIFACTS / "account-weak-password.png"), full_page=True)

        other = browser.new_context(viewport={"width": 820, "height": 900}).new_page()
        other.set_default_timeout(20_000)
        for _ in range(LADDERS["name+source"].free + 1):
            other.goto(f"{server}/login")
            other.fill("input[name=name]", "lead")
            other.fill("input[name=password]", "a wrong guess, tried again")
            other.click("button[type=submit]")
        expect(other.locator("p.error")).to_have_text(MESSAGE)
        other.screenshot(path=str(ARTIFACTS / "login-paused.png"), full_page=True)
        browser.close()
