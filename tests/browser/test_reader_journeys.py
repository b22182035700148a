"""A reader's journeys through the portal in Debian's chromium (see conftest.py for the setup)."""

import re

import pytest

from tests.browser.conftest import TIMEOUT_MS, VIEWPORTS, require_chromium

require_chromium()
sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="browser tests skipped: playwright is not installed (pip install -r requirements-dev.txt)",
)
expect = sync_api.expect

KAN_ID = "2404.19756"
KAN = "KAN: Kolmogorov-Arnold Networks"
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def paper_count(page) -> int:
    """The number in the list's "12 papers" line (whatever the UI language)."""
    text = page.locator("p.result-count").inner_text()
    match = re.search(r"\d[\d,]*", text)
    assert match, text
    return int(match.group().replace(",", ""))


def search(page, words: str) -> None:
    page.get_by_role("searchbox", name="Search papers").fill(words)
    with page.expect_navigation():
        page.get_by_role("searchbox", name="Search papers").press("Enter")


def test_search_in_japanese_finds_kan(reader):
    reader.goto("/")
    search(reader, "コルモゴロフ")

    expect(reader).to_have_url(re.compile(r"/papers/\?q="))
    expect(reader.locator("h1")).to_contain_text("コルモゴロフ")
    kan = reader.locator(f'article.paper[id="{KAN_ID}"]')
    expect(kan.locator(".paper-title")).to_have_text(KAN)
    expect(reader.get_by_role("searchbox", name="Search papers")).to_have_value("コルモゴロフ")
    # An English UI shows the English snippet, where nothing matched; any highlight is the query.
    for mark in reader.locator("main mark").all():
        expect(mark).to_have_text("コルモゴロフ")


def test_japanese_reader_sees_the_match_highlighted(demo_site, new_context):
    """A browser asking for Japanese gets the Japanese UI and a Japanese snippet with the match marked."""
    page = new_context(locale="ja-JP", viewport=VIEWPORTS["desktop"]).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto("/papers/?q=コルモゴロフ")

    expect(page.locator("html")).to_have_attribute("lang", "ja")
    kan = page.locator(f'article.paper[id="{KAN_ID}"]')
    expect(kan.locator(".paper-title")).to_have_text(KAN)
    expect(kan.locator(".reader-title")).to_contain_text("コルモゴロフ")
    marks = kan.locator('.reader-title mark, .snippet[lang="ja"] mark')
    assert marks.count() > 0, kan.locator(".snippet").inner_text()
    expect(marks.first).to_have_text("コルモゴロフ")


def test_facet_value_becomes_a_removable_chip(reader):
    reader.goto("/papers/")
    everything = paper_count(reader)
    facet = reader.locator("aside.facets section.facet").filter(
        has=reader.get_by_role("heading", name="Summary language")
    )
    value = facet.locator("a.facet-value").first
    label = value.locator(".label").inner_text()
    count = int(value.locator(".count").inner_text())
    expect(reader.locator("a.chip")).to_have_count(0)

    with reader.expect_navigation():
        value.click()

    chip = reader.locator("ul.chips a.chip:not(.clear)")
    expect(chip).to_have_count(1)
    expect(chip).to_contain_text(label)
    assert paper_count(reader) == count <= everything
    expect(reader.locator("article.paper")).to_have_count(min(count, 20))
    expect(facet.locator("a.facet-value.selected")).to_contain_text(label)

    with reader.expect_navigation():
        chip.click()

    expect(reader.locator("a.chip")).to_have_count(0)
    assert paper_count(reader) == everything


def test_paper_title_in_the_list_opens_the_paper_page(reader):
    reader.goto("/papers/")
    link = reader.locator("article.paper .paper-title a").first
    title = link.inner_text()

    with reader.expect_navigation():
        link.click()

    expect(reader).to_have_url(re.compile(r"/papers/[^/?]+/$"))
    expect(reader.locator("h1")).to_have_text(title)
    expect(reader).to_have_title(re.compile(re.escape(title)))


def test_language_switch_turns_the_ui_japanese(reader):
    reader.goto("/papers/?q=Mamba")
    expect(reader.locator("html")).to_have_attribute("lang", "en")
    button = reader.locator("form.site-search button[type=submit]")
    expect(button).to_have_text("Search")

    switch = reader.locator("form.language-switch")
    switch.locator("select[name=language]").select_option("ja")
    with reader.expect_navigation():
        switch.locator("button[type=submit]").click()

    expect(reader.locator("html")).to_have_attribute("lang", "ja")
    # set_language sends the reader back to the same page, query included.
    expect(reader).to_have_url(re.compile(r"/papers/\?q=Mamba$"))
    expect(switch.locator("select[name=language]")).to_have_value("ja")
    expect(button).not_to_have_text("Search")
    expect(button).to_have_text(CJK)
    # The choice sticks for the next page.
    reader.goto("/")
    expect(reader.locator("html")).to_have_attribute("lang", "ja")


def test_digest_from_the_home_page_and_deep_links_to_its_entries(reader):
    reader.set_viewport_size(VIEWPORTS["phone"])  # a tall page: deep links have to scroll
    reader.goto("/")
    digest_link = reader.get_by_role("complementary", name="Latest digests").get_by_role("link").first
    with reader.expect_navigation():
        digest_link.click()
    expect(reader).to_have_url(re.compile(r"/digests/\d+/$"))
    digest_url = reader.url
    entries = reader.locator("article.digest-entry[id]")
    expect(entries.first).to_be_visible()

    # The last entry of the digest, by its deep link.
    last = entries.last
    anchor = last.get_attribute("id")
    below_the_fold = last.bounding_box()["y"] >= reader.viewport_size["height"]
    reader.goto(f"{digest_url}#{anchor}")
    assert_in_viewport(reader, f'article[id="{anchor}"]', scrolled=below_the_fold)

    # The paper page's "From <digest>" links deep into the digest that summarised it.
    reader.goto(f"/papers/{KAN_ID}/")
    source = reader.locator(f'.summary-source a[href$="#{KAN_ID}"]').first
    with reader.expect_navigation():
        source.click()
    expect(reader).to_have_url(re.compile(rf"/digests/\d+/#{re.escape(KAN_ID)}$"))
    assert_in_viewport(reader, f'article[id="{KAN_ID}"]')
    expect(reader.locator(f'article[id="{KAN_ID}"] h2')).to_have_text(KAN)


def assert_in_viewport(page, selector: str, scrolled: bool = False) -> None:
    target = page.locator(selector)
    expect(target).to_be_in_viewport()
    assert target.evaluate("element => element.matches(':target')"), selector
    box = target.bounding_box()
    height = page.viewport_size["height"]
    assert box is not None and 0 <= box["y"] < height, (selector, box, height)
    if scrolled:
        assert page.evaluate("window.scrollY") > 0, selector


# Screenshots of the main pages at both widths, for a person to look at (var/ is git-ignored).
PAGES = {
    "home": "/",
    "list": "/papers/?q=model&language=ja",
    "paper": f"/papers/{KAN_ID}/",
    "digest": None,  # the first digest on the home page
}


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_main_pages_render_at_desktop_and_phone_width(tab_at, screenshots_dir, size):
    page = tab_at(size)
    page.goto("/")
    digest_href = page.locator("aside.digests li a").first.get_attribute("href")
    widths = {}
    for name, url in PAGES.items():
        response = page.goto(url or digest_href)
        assert response is not None and response.ok, (name, response and response.status)
        page.wait_for_load_state("load")
        expect(page.locator("h1").first).to_be_visible()
        widths[name] = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        page.screenshot(path=screenshots_dir / f"{name}-{size}.png", full_page=True)

    if size == "phone":
        # No sideways scrolling on a phone (the list page with a search and a facet above all).
        too_wide = {name: width for name, (width, inner) in widths.items() if width > inner + 1}
        assert not too_wide, f"wider than the {VIEWPORTS['phone']['width']}px phone: {too_wide}"
