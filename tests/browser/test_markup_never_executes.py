"""Markup inside an imported digest is text, never code: a digest whose title, authors and summaries
carry script tags, event handlers and javascript: links is imported, then every public page showing it
is opened in chromium. Nothing sets ``window.__xss``, no dialog opens, and the paper page shows the
markup as literal text."""

import json

import pytest

from papers.models import Digest, Paper
from tests.browser.conftest import TIMEOUT_MS, VIEWPORTS, _settle, require_chromium
from tests.conftest import import_paths

require_chromium()
sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="browser tests skipped: playwright is not installed (pip install -r requirements-dev.txt)",
)
expect = sync_api.expect

SCRIPT = "<script>window.__xss = 1</script>"
IMG = '<img src=x onerror="window.__xss=2">'
SVG = '"><svg onload=window.__xss=3>'
JS_LINK = '<a href="javascript:window.__xss=4">click me</a>'
TITLE = f"Zebrafish Hostile Markup {SCRIPT} {IMG}"
HOSTILE_DIGEST = f"""{TITLE}

要約

ゼブラフィッシュ {SCRIPT} と {IMG} と {SVG} を含む要約です。javascript:window.__xss=5 {JS_LINK}

要約(オリジナル)

A zebrafish summary with {SCRIPT} and {IMG} and {SVG} and {JS_LINK} and javascript:alert(document.domain).

arxiv情報

著者 Eve {SVG},Mallory {SCRIPT},Trudy {IMG}
発行日 2024-05-02 10:00:00+00:00
arxivサイト arxiv_id(pdf)

提供元, 利用サービス

arxiv.jp, Google

カテゴリー: cs.LG, cs.CR | コメントする
"""


@pytest.fixture
def hostile_site(live_server, transactional_db, tmp_path):
    path = tmp_path / "hostile_arxiv_jp.txt"
    path.write_text(HOSTILE_DIGEST, encoding="utf-8")
    import_paths([path])
    paper = Paper.objects.get(title__startswith="Zebrafish Hostile Markup")
    assert SCRIPT in paper.title, "the markup must reach the database as text for this test to mean anything"
    assert paper.authorships.filter(author__name__contains="<svg").exists()
    return {"paper": paper.get_absolute_url(), "digest": f"/digests/{Digest.objects.get().pk}/"}


@pytest.fixture
def tab(hostile_site, page):
    page.set_default_timeout(TIMEOUT_MS)
    page.set_default_navigation_timeout(TIMEOUT_MS)
    page.set_viewport_size(VIEWPORTS["desktop"])
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    yield page, dialogs
    _settle(page)


def test_imported_markup_never_executes(tab, hostile_site):
    page, dialogs = tab
    urls = [
        "/",
        "/papers/?q=zebrafish",
        "/papers/?q=" + "%3Cscript%3E",
        hostile_site["paper"],
        hostile_site["digest"],
        "/papers/feed/atom/?q=zebrafish",
        "/papers/?q=zebrafish&format=json",
        hostile_site["paper"] + "?format=json",
    ]
    for url in urls:
        response = page.goto(url)
        assert response.status == 200, url
        page.wait_for_load_state("load")
        page.wait_for_timeout(50)  # an onerror/onload handler would have run by now
        assert page.evaluate("window.__xss") is None, url
        assert not dialogs, (url, dialogs)
        if "format=json" in url:
            body = json.loads(response.text())
            assert SCRIPT in json.dumps(body, ensure_ascii=False), url  # the data, as data
        if url == hostile_site["paper"]:
            # Escaped: the markup is there as literal text for the reader to see.
            expect(page.locator("h1")).to_contain_text(SCRIPT)
            expect(page.locator("main")).to_contain_text(IMG)
            expect(page.locator("main")).to_contain_text("Eve " + SVG)
            assert page.locator("main script, main img[onerror], main svg[onload]").count() == 0
            assert page.locator('a[href^="javascript:"]').count() == 0
        if url == "/papers/?q=zebrafish":
            expect(page.locator("article.paper .paper-title").first).to_contain_text(SCRIPT)
        if url == hostile_site["digest"]:
            expect(page.locator("main")).to_contain_text(SCRIPT)
    # The links the pages do have were not turned into javascript: ones, on any page.
    page.goto(hostile_site["digest"])
    assert page.locator('a[href^="javascript:"]').count() == 0
