"""The search page in a real headless Chromium (Debian's package), driven by Playwright, against a real
`search serve` process. Screenshots go to test-artifacts/ (not committed)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from tests.server.conftest import ROOT, Server

sync_api = pytest.importorskip("playwright.sync_api", reason="the page tests need the test extra (playwright)")

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                  "--disable-background-networking", "--disable-component-update"]


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser():
    path = chromium_path()
    if path is None:
        if os.environ.get("SEARCHCORE_REQUIRE_BROWSER"):
            pytest.fail("Chromium is not installed (apt-get install chromium), and SEARCHCORE_REQUIRE_BROWSER is set")
        pytest.skip("Chromium is not installed (apt-get install chromium); .ci/run installs it")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda exc: errors.append(str(exc)))
    opened.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield opened
    context.close()
    assert not errors, errors  # no script errors, no CSP violations


def state(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def type_query(page, text: str) -> None:
    box = page.locator("#q")
    box.fill("")
    box.press_sequentially(text, delay=20)


def first_hit(page) -> str:
    return page.locator(".hit h3 a").first.get_attribute("href")


def test_typing_li_shangfu_belarus_shows_the_afp_story_first(server, page):
    page.goto(server.url + "/")
    type_query(page, "Li Shangfu Belarus")
    page.wait_for_function("() => location.search.includes('Belarus')")
    page.wait_for_selector(".hit")
    assert first_hit(page) == "/documents/afp-li-shangfu"
    assert page.locator(".hit mark").first.inner_text() in ("Li", "Shangfu", "Belarus")
    assert state(page)["q"] == ["Li Shangfu Belarus"]  # the URL holds the search
    page.screenshot(path=ARTIFACTS / "page-search.png", full_page=True)


def test_facets_paging_and_the_back_button(server, page):
    page.goto(server.url + "/")
    type_query(page, "report")
    page.wait_for_function("() => location.search.includes('report')")
    page.wait_for_selector(".pager")
    total = page.locator(".summary").inner_text()
    assert "Page 1 of" in page.locator(".pager").inner_text()

    page.locator('.facets a.facet:has-text("crude")').click()
    page.wait_for_function("() => location.search.includes('filter=')")
    page.wait_for_selector("a.facet.on")
    assert state(page)["filter"] == ['topics:"crude"']
    assert page.locator("a.facet.on").first.get_attribute("aria-pressed") == "true"
    assert page.locator(".summary").inner_text() != total
    assert page.locator(".hit").count() == 10  # "report" in all 59 titles: 10 crude ones, one page

    page.locator('.facets a.facet:has-text("crude")').click()  # off again
    page.wait_for_function("() => !location.search.includes('filter=')")
    page.locator('a[rel="next"]').click()
    page.wait_for_function("() => location.search.includes('page=2')")
    assert "Page 2 of" in page.locator(".pager").inner_text()
    page.screenshot(path=ARTIFACTS / "page-facets-paging.png", full_page=True)

    page.go_back()
    page.wait_for_function("() => !location.search.includes('page=2')")
    page.wait_for_function("() => document.querySelector('.pager').innerText.includes('Page 1 of')")
    page.go_back()
    page.wait_for_function("() => location.search.includes('filter=')")
    page.wait_for_selector("a.facet.on")
    assert page.locator("#q").input_value() == "report"


def test_the_did_you_mean_link_searches_the_correction(server, page):
    page.goto(server.url + "/")
    type_query(page, "Li Shangfo Belarus")
    link = page.locator(".did-you-mean a")
    link.wait_for()
    assert link.inner_text() == "Li Shangfu Belarus"
    link.click()
    page.wait_for_function("() => new URLSearchParams(location.search).get('q') === 'Li Shangfu Belarus'")
    page.wait_for_function("() => document.querySelector('.hit h3 a').getAttribute('href').includes('afp-li-shangfu')")
    assert page.locator("#q").input_value() == "Li Shangfu Belarus"
    page.go_back()
    page.wait_for_function("() => new URLSearchParams(location.search).get('q') === 'Li Shangfo Belarus'")
    assert page.locator("#q").input_value() == "Li Shangfo Belarus"


def test_the_date_range_filters_by_date(server, page):
    page.goto(server.url + "/?q=report")
    page.fill('input[name="from"]', "1987-03-10")
    page.fill('input[name="to"]', "1987-03-12")
    page.locator('input[name="to"]').dispatch_event("change")
    page.wait_for_function("() => location.search.includes('to=1987-03-12')")
    page.wait_for_function("() => document.querySelectorAll('.hit').length > 0 && "
                           "[...document.querySelectorAll('.hit time')].every(t => t.innerText >= '1987-03-10' "
                           "&& t.innerText <= '1987-03-12')")
    assert 1 <= page.locator(".hit").count() <= 10


def test_the_page_works_without_javascript(server, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(server.url + "/?q=Li+Shangfu+Belarus")
        assert first_hit(page) == "/documents/afp-li-shangfu"
        page.goto(server.url + "/?q=report")
        page.locator('.facets a.facet:has-text("grain")').click()  # a plain link: the server renders the page
        page.wait_for_url(re.compile("filter="))
        assert page.locator("a.facet.on").count() == 1
        page.locator("#q").fill("wheat")
        page.locator("#q").press("Enter")  # the form submits to the server, keeping the filter
        page.wait_for_url(re.compile("q=wheat"))
        assert state(page)["filter"] == ['topics:"grain"'] and page.locator(".hit").count() >= 1
    finally:
        context.close()


def test_the_keyboard_alone_reaches_search_and_results(server, page):
    page.goto(server.url + "/?q=oil")
    page.locator("body").click(position={"x": 5, "y": 400})
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    for _ in range(80):  # the date fields, the button and the facet links come first
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.closest('.hit') !== null"):
            break
    assert page.evaluate("document.activeElement.closest('.hit') !== null")
    page.keyboard.press("Enter")  # follows the headline's link to the document
    page.wait_for_url(re.compile("/documents/"))


def test_readable_at_phone_width(server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(server.url + "/?q=Li+Shangfu+Belarus")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert page.locator("#q").bounding_box()["width"] > 200
        page.screenshot(path=ARTIFACTS / "page-phone.png", full_page=True)
    finally:
        context.close()


@pytest.mark.corpus
def test_on_reuters_the_afp_story_comes_first(corpora, tmp_path, browser):
    import searchcore as sc
    from searchcore.loaders import iter_documents

    path = tmp_path / "reuters"
    ix = sc.Index.create(path, sc.news_schema())
    with ix.writer() as w:
        sc.bulk_index(w, iter_documents([corpora / "reuters21578", corpora / "seed"]))
    running = Server(path)
    page = browser.new_page(viewport={"width": 1200, "height": 1000})
    try:
        page.goto(running.url + "/")
        type_query(page, "Li Shangfu Belarus")
        page.wait_for_function("() => location.search.includes('Belarus')")
        page.wait_for_selector(".hit")
        assert "China's defence minister" in page.locator(".hit h3").first.inner_text()
        page.screenshot(path=ARTIFACTS / "page-reuters.png")
    finally:
        page.close()
        assert running.stop()[0] == 0
