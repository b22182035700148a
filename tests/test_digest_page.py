import hashlib
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from papers.ingest.importer import import_digest
from papers.models import Author, Authorship, Digest, DigestEntry, Paper, Source, Summary, Visibility
from tests.conftest import SAMPLES

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"


def make_digest(name: str = "weekly", status: str = Digest.Status.IMPORTED, **fields) -> Digest:
    source, _ = Source.objects.get_or_create(
        slug="weekly", defaults={"name": "Weekly digest", "language": "ja"}
    )
    return Digest.objects.create(
        source=source, name=name, checksum=hashlib.sha256(name.encode()).hexdigest(), status=status, **fields
    )


def add_entry(digest: Digest, paper: Paper, position: int, *summaries: tuple[str, str, str]) -> DigestEntry:
    entry = DigestEntry.objects.create(digest=digest, paper=paper, position=position)
    for language, kind, text in summaries:
        Summary.objects.create(paper=paper, entry=entry, language=language, kind=kind, text=text)
    return entry


def page(client, digest: Digest, language: str = "en") -> str:
    response = client.get(f"/digests/{digest.pk}/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def anchors(html: str) -> list[str]:
    return re.findall(r'<article class="digest-entry" id="([^"]+)"', html)


def test_the_demo_digest_lists_its_papers_in_the_original_order(client):
    for path in sorted(SAMPLES.glob("*.txt")):  # the other digests give these papers their arXiv ids
        assert import_digest(path.read_bytes(), path.name).ok
    digest = Digest.objects.get(name="arxiv_jp_sample.txt")
    html = page(client, digest, "ja")
    assert anchors(html) == ["2404.19756", "2312.00752", "1706.03762"]
    assert '<a href="/papers/2404.19756/">KAN: Kolmogorov-Arnold Networks</a>' in html
    assert "arxiv.jp" in html and '<time datetime="2024-04-30">' in html
    assert 'lang="ja"' in html


def test_entries_follow_the_position_not_the_creation_order(client):
    digest = make_digest(title="Ordered")
    third = Paper.objects.create(title="Third", arxiv_id="2401.00103")
    first = Paper.objects.create(title="First", arxiv_id="2401.00101")
    no_id = Paper.objects.create(title="Second without id")
    add_entry(digest, third, 3)
    add_entry(digest, first, 1)
    add_entry(digest, no_id, 2)
    html = page(client, digest)
    assert anchors(html) == ["2401.00101", no_id.slug, "2401.00103"]
    assert f'<a href="/papers/{no_id.slug}/">Second without id</a>' in html


def test_the_header_shows_title_source_issue_date_and_original_url(client):
    digest = make_digest(title="Week 18", url="https://example.com/week-18", issued="2024-05-05")
    listed = Paper.objects.create(title="Listed", arxiv_id="2401.00111")
    add_entry(digest, listed, 1)
    html = page(client, digest)
    assert "<h1" in html and "Week 18</h1>" in html
    assert "Weekly digest" in html
    assert '<time datetime="2024-05-05">2024-05-05</time>' in html
    assert 'href="https://example.com/week-18"' in html
    untitled = make_digest(name="week-19.txt")
    add_entry(untitled, listed, 1)
    assert "Weekly digest · week-19</h1>" in page(client, untitled)  # no title, no date: source and name


def test_an_original_url_that_is_not_a_web_link_is_not_linked(client):
    digest = make_digest(title="Odd", url="javascript:alert(1)")
    add_entry(digest, Paper.objects.create(title="Listed", arxiv_id="2401.00112"), 1)
    html = page(client, digest)
    assert "javascript:" not in html


def test_authors_link_to_their_pages_in_order(client):
    digest = make_digest()
    paper = Paper.objects.create(title="Two authors", arxiv_id="2401.00104")
    second, first = Author.objects.create(name="Second Author"), Author.objects.create(name="First Author")
    Authorship.objects.create(paper=paper, author=second, position=2)
    Authorship.objects.create(paper=paper, author=first, position=1)
    add_entry(digest, paper, 1)
    html = page(client, digest)
    assert (
        f'<a href="/authors/{first.pk}/">First Author</a>, <a href="/authors/{second.pk}/">Second Author</a>'
        in html
    )


def test_translated_title_and_summary_in_the_readers_language_with_fallback(client):
    digest = make_digest()
    paper = Paper.objects.create(title="Multilingual", arxiv_id="2401.00105")
    add_entry(
        digest,
        paper,
        1,
        ("ja", "title", "多言語"),
        ("ja", "summary", "日本語の要約"),
        ("zh", "title", "多语言"),
        ("zh", "summary", "中文摘要"),
        ("en", "abstract", "English abstract"),
    )
    ja, zh, ko = page(client, digest, "ja"), page(client, digest, "zh-hans"), page(client, digest, "ko")
    assert '<p class="translated-title" lang="ja">多言語</p>' in ja and "中文摘要" not in ja
    assert '<p class="translated-title" lang="zh">多语言</p>' in zh and "日本語の要約" not in zh
    assert '<div class="summary-text" lang="zh">中文摘要</div>' in zh
    # No Korean text: the next language in the reader preference order.
    assert '<div class="summary-text" lang="ja">日本語の要約</div>' in ko
    # A short summary is preferred to an abstract; an abstract stands in when there is no summary.
    only_abstract = Paper.objects.create(title="Abstract only", arxiv_id="2401.00106")
    add_entry(digest, only_abstract, 2, ("ko", "abstract", "한국어 초록"))
    assert '<div class="summary-text" lang="ko">한국어 초록</div>' in page(client, digest, "ja")


def test_hidden_papers_and_summaries_are_left_out(client):
    digest = make_digest()
    shown = Paper.objects.create(title="Shown paper", arxiv_id="2401.00107")
    hidden = Paper.objects.create(title="Hidden paper", arxiv_id="2401.00108", visibility=Visibility.HIDDEN)
    entry = add_entry(digest, shown, 1, ("ja", "summary", "公開の要約"))
    Summary.objects.create(
        paper=shown, entry=entry, language="zh", kind="summary", text="隐藏摘要", visibility=Visibility.HIDDEN
    )
    add_entry(digest, hidden, 2, ("ja", "summary", "非公開の論文"))
    html = page(client, digest, "zh-hans")
    assert anchors(html) == ["2401.00107"]
    assert "Hidden paper" not in html and "非公開の論文" not in html
    assert "隐藏摘要" not in html
    assert "公開の要約" in html


def test_a_related_papers_summary_is_not_shown_as_the_entrys(client):
    digest = make_digest()
    paper = Paper.objects.create(title="Entry paper", arxiv_id="2401.00109")
    related = Paper.objects.create(title="Related paper", arxiv_id="2401.00110")
    entry = add_entry(digest, paper, 1)
    Summary.objects.create(paper=related, entry=entry, language="ja", kind="summary", text="関連論文の要約")
    html = page(client, digest, "ja")
    assert "関連論文の要約" not in html
    assert anchors(html) == ["2401.00109"]


def test_digests_that_are_not_imported_are_not_found(client):
    for status in [Digest.Status.PENDING, Digest.Status.RUNNING, Digest.Status.FAILED]:
        digest = make_digest(name=f"digest-{status}", status=status)
        assert client.get(f"/digests/{digest.pk}/").status_code == 404
    assert client.get("/digests/999999/").status_code == 404


def test_markup_in_digest_and_paper_texts_is_escaped(client):
    digest = make_digest(title=f"{XSS} digest")
    paper = Paper.objects.create(title=f"{XSS} paper", arxiv_id="2401.00111")
    Authorship.objects.create(paper=paper, author=Author.objects.create(name=f"{XSS} author"), position=1)
    add_entry(digest, paper, 1, ("ja", "title", f"{XSS} 題名"), ("ja", "summary", f"{XSS} 要約"))
    html = page(client, digest, "ja")
    assert "<script>alert" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 5


def test_the_page_runs_a_constant_number_of_queries(client, django_assert_max_num_queries):
    small = make_digest(name="small")
    add_entry(small, Paper.objects.create(title="Alone", arxiv_id="2401.00200"), 1, ("ja", "summary", "一"))
    with CaptureQueriesContext(connection) as small_queries:
        page(client, small, "ja")
    big = make_digest(name="big")
    authors = [Author.objects.create(name=f"Author {index}") for index in range(10)]
    for position in range(1, 31):
        paper = Paper.objects.create(title=f"Paper {position}", arxiv_id=f"2401.{position + 300:05d}")
        Authorship.objects.bulk_create(
            Authorship(paper=paper, author=author, position=index) for index, author in enumerate(authors, 1)
        )
        add_entry(
            big, paper, position, ("ja", "title", f"題 {position}"), ("zh", "summary", f"摘要 {position}")
        )
    with django_assert_max_num_queries(len(small_queries)):
        html = page(client, big, "ja")
    assert len(anchors(html)) == 30
    assert len(small_queries) <= 5
