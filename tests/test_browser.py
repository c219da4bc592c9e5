"""The web page and a generated report in headless Chromium (Debian's chromium, driven by Playwright)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from browser_fixtures import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PAYLOAD,
    ROOT,
    ThreadedServer,
    fast_config,
    image_service,
    payload_verbalization,
    store_run,
)
from playwright.sync_api import Browser, Page, expect, sync_playwright

from verbalize.pipeline.image.samples import sample_path
from verbalize.report.run import render_report, write_report
from verbalize.service.app import create_app
from verbalize.store import Store

# Screenshots land in the test's tmp folder; VERBALIZE_UPDATE_DOCS=1 refreshes the README's copies.
DOCS = ROOT / "docs" if os.environ.get("VERBALIZE_UPDATE_DOCS") == "1" else None
TOKEN = "browser-token-93c1"


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.errors = errors  # type: ignore[attr-defined]
    yield pg
    context.close()


def _images_rendered(page: Page, selector: str = "img") -> list[int]:
    widths = page.eval_on_selector_all(selector, "imgs => imgs.map(i => i.complete ? i.naturalWidth : -1)")
    assert widths and all(w > 0 for w in widths), widths
    return widths


def _not_executed(page: Page) -> None:
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.locator("img[src='x']").count() == 0


def _shot(page: Page, path: Path, *, height: int = 1400) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    full = page.evaluate("document.documentElement.scrollHeight")
    page.screenshot(path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": min(full, height)})
    assert path.stat().st_size > 10_000


def test_report_renders_images_and_shows_a_script_payload_as_text(page: Page, tmp_path: Path) -> None:
    with Store(f"sqlite:///{tmp_path / 'store.sqlite'}") as store:
        run = store_run(store, "demo", folder=tmp_path / "images", with_payload=True)
        report = write_report(render_report(store.items(run.id, with_artifacts=True), run), tmp_path / "report.html")
    page.goto(report.as_uri())
    assert len(_images_rendered(page)) >= 9  # 2 x (original, overlay, segment) + plots
    _not_executed(page)
    assert page.locator("script").count() == 0
    payload_text = page.locator(".vtext", has_text="window.__pwned=1")
    assert payload_text.count() == 2 and payload_text.first.is_visible()
    assert payload_text.first.text_content() == PAYLOAD
    assert page.locator("mark.claim.contradicted", has_text="86%").count() == 2
    assert page.locator("text=failed: broken.png").is_visible()
    _shot(page, tmp_path / "report.png", height=100_000)
    page.locator("#item-1").scroll_into_view_if_needed()
    _shot(page, (DOCS or tmp_path) / "report.png", height=1700)
    assert page.errors == []  # type: ignore[attr-defined]


def test_web_page_upload_round_trip_and_llm_text_stays_text(page: Page, tmp_path: Path) -> None:
    app = create_app(fast_config(), runs_dir=tmp_path / "runs", image_service=image_service(), api_token="")
    with ThreadedServer(app) as server:
        page.goto(server.url + "/")
        page.set_input_files("#file", str(sample_path("chelsea")))
        page.select_option("#method", "gradcam")
        with page.expect_response("**/v1/explain/image", timeout=300_000) as answer:
            page.click("#explain-image")
        real: dict[str, Any] = answer.value.json()
        page.wait_for_function("document.getElementById('overlay').naturalWidth > 0", timeout=60_000)
        _images_rendered(page, "#image-result img")
        assert "Egyptian cat" in page.locator("#prediction").inner_text()
        assert page.locator(".verbalization .badge", has_text="fidelity 1.00").count() == 1
        assert page.locator("#verbalizations mark.claim.supported").count() >= 5
        # each claim shows its subject and the fact it was checked against, on hover and in the table
        tip = page.locator("#verbalizations mark.claim.supported").first.get_attribute("title") or ""
        assert "supported · label · Egyptian cat · label = Egyptian cat" in tip
        assert page.locator("#verbalizations table.claims th", has_text="fact").count() == 1
        assert page.locator("#metrics tr").count() == 8
        _shot(page, tmp_path / "web.png")
        _shot(page, (DOCS or tmp_path) / "web.png", height=1500)

        # The same answer with an LLM verbalization carrying a payload (injected at the HTTP layer):
        # the page must show it as text and run none of it.
        real["explanation"]["verbalizations"].append(payload_verbalization())
        page.route("**/v1/explain/image", lambda route: route.fulfill(
            status=200, content_type="application/json", body=json.dumps(real)))
        page.click("#explain-image")
        llm = page.locator(".verbalization", has_text="window.__pwned=1")
        llm.wait_for(timeout=30_000)
        assert llm.locator(".vtext").text_content() == PAYLOAD
        assert llm.locator("mark.claim.contradicted").text_content() == "86%"
        assert llm.locator("strong").text_content() == "llm"
        page.wait_for_timeout(300)  # an onerror handler would have fired by now
        _not_executed(page)
        assert page.errors == []  # type: ignore[attr-defined]


def test_jobs_page_with_a_token_lists_jobs_and_opens_the_report_sandboxed(page: Page, tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    with Store(f"sqlite:///{runs / 'service.sqlite'}") as store:
        store_run(store, "nightly", folder=tmp_path / "images", with_payload=True, job=True)
    app = create_app(fast_config(), runs_dir=runs, image_service=image_service(), api_token=TOKEN)
    with ThreadedServer(app) as server:
        page.goto(server.url + "/jobs")
        expect(page.locator("#status")).to_have_text("missing or wrong bearer token")
        page.fill("#token", TOKEN)
        page.dispatch_event("#token", "change")
        row = page.locator("tr[data-job='nightly']")
        row.wait_for(timeout=15_000)
        assert row.locator(".status-chip").text_content() == "done"
        assert "3/3 (1 failed)" in row.inner_text()
        row.locator("a.report-link").click()
        frame = page.frame_locator("#report-frame")
        frame.locator("h1").wait_for(timeout=30_000)
        assert frame.locator("h1").text_content() == "verbalize report · nightly"
        widths = frame.locator("img").evaluate_all("imgs => imgs.map(i => i.naturalWidth)")
        assert len(widths) >= 9 and all(w > 0 for w in widths)
        assert frame.locator(".vtext", has_text="window.__pwned=1").first.text_content() == PAYLOAD
        _not_executed(page)
        assert page.locator("#report-frame").get_attribute("sandbox") == ""
