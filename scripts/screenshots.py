"""Full-page screenshots of every dashboard page on the Venus demo, at 1280 and 768 px wide.

    .venv/bin/python scripts/screenshots.py [--out FOLDER]     (or: make screenshots)

Loads the demo into a temporary store, serves it on a loopback port with a worker, signs in as a
commander in headless Chromium (non-local requests refused) and writes ``<page>-<width>.png``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.site import CHROMIUM, PAGES, demo_store, only_local, serving, sign_in  # noqa: E402

WIDTHS = (1280, 768)


def settle(page: object) -> None:
    """Wait until the page's charts are drawn (the overview's forecast may still be running)."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    page.wait_for_load_state("load")
    if page.locator("[data-chart]").count():
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-chart]')]"
            ".every(el => el.classList.contains('js-plotly-plot') || !el.offsetParent)",
            timeout=30_000,
        )
    if page.locator("#swagger-ui").count():
        page.locator(".swagger-ui .information-container").wait_for(timeout=60_000)
    page.wait_for_timeout(300)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "test-artifacts" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        started = time.monotonic()
        store = demo_store(Path(folder))
        print(f"demo loaded in {time.monotonic() - started:.1f} s")
        with serving(store) as base, sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            blocked: list[str] = []
            for width in WIDTHS:
                context = browser.new_context(viewport={"width": width, "height": 900})
                context.set_default_timeout(60_000)
                only_local(context, blocked)
                page = context.new_page()
                sign_in(page, base)
                # The overview's first forecast runs as a job; the page reloads itself when it
                # is ready: wait for its chart once.
                page.locator("#chart-forecast.js-plotly-plot").wait_for(timeout=300_000)
                for name, path in PAGES:
                    page.goto(base + path)
                    settle(page)
                    target = args.out / f"{name}-{width}.png"
                    page.screenshot(path=str(target), full_page=True)
                    print(target.relative_to(ROOT) if target.is_relative_to(ROOT) else target)
                context.close()
            browser.close()
            if blocked:
                print(f"blocked {len(blocked)} non-local requests: {sorted(set(blocked))[:5]}")
                return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
