import hashlib
import json
import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from papers.ingest.importer import import_digest
from papers.models import (
    Author,
    Authorship,
    Category,
    Digest,
    DigestEntry,
    Paper,
    PaperLink,
    RelatedPaper,
    Score,
    Source,
    Summary,
    Visibility,
)
from papers.search.index import refresh_papers
from papers.views.citation import bibtex, bibtex_escape
from tests.conftest import SAMPLES

pytestmark = pytest.mark.django_db

KAN = "2404.19756"
MAMBA = "2312.00752"
XSS = "<script>alert(1)</script>"


@pytest.fixture
def demo_data():
    for path in sorted(SAMPLES.glob("*.txt")):
        assert import_digest(path.read_bytes(), path.name).ok


def page(client, url, language="en", **params) -> str:
    response = client.get(url, params, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def summary_languages(html: str) -> list[str]:
    return re.findall(r'<section class="summary-language" lang="([\w-]+)"', html)


def ld_json(html: str) -> dict:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.DOTALL)
    assert len(blocks) == 1
    return json.loads(blocks[0])


def meta(html: str, attribute: str, name: str) -> str:
    match = re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)">', html)
    assert match, f"no {name} meta"
    return match[1]


def make_digest(name: str, language: str = "ja", issued: date | None = None) -> Digest:
    source, _ = Source.objects.get_or_create(slug=f"src-{language}", defaults={"name": f"Source {language}"})
    return Digest.objects.create(
        source=source,
        name=name,
        title=f"Digest {name}",
        checksum=hashlib.sha256(name.encode()).hexdigest(),
        issued=issued,
        status=Digest.Status.IMPORTED,
    )


def add_summary(paper: Paper, digest: Digest, language: str, kind: str, text: str, **fields) -> Summary:
    entry, _ = DigestEntry.objects.get_or_create(
        digest=digest, paper=paper, defaults={"position": digest.entries.count() + 1}
    )
    return Summary.objects.create(paper=paper, entry=entry, language=language, kind=kind, text=text, **fields)


# -- summaries from every digest, the reader's language first -------------------------------------------


def test_it_shows_the_summaries_of_every_digest_that_listed_the_paper(client, demo_data):
    kan = Paper.objects.get(arxiv_id=KAN)
    digests = Digest.objects.filter(entries__paper=kan).distinct()
    assert digests.count() >= 3
    html = page(client, kan.get_absolute_url(), "ja")
    for digest in digests:
        assert f'href="/digests/{digest.pk}/#{KAN}"' in html
    for summary in kan.summaries.all():
        assert summary.text.split("\n")[0].replace("'", "&#x27;").replace('"', "&quot;") in html


def test_it_groups_summaries_by_language_with_the_readers_first(client, demo_data):
    mamba = Paper.objects.get(arxiv_id=MAMBA)
    assert {"ja", "zh"} <= set(mamba.summaries.values_list("language", flat=True))
    add_summary(mamba, make_digest("ko-weekly", "ko"), "ko", Summary.Kind.SUMMARY, "선택적 상태 공간 모델")

    assert summary_languages(page(client, mamba.get_absolute_url(), "ja"))[0] == "ja"
    assert summary_languages(page(client, mamba.get_absolute_url(), "zh-hans"))[0] == "zh"
    assert summary_languages(page(client, mamba.get_absolute_url(), "ko"))[0] == "ko"
    languages = summary_languages(page(client, mamba.get_absolute_url(), "ko"))
    assert len(languages) == len(set(languages)), "one section per language"


def test_each_summary_names_its_kind_and_its_digest_with_the_issue_date(client):
    paper = Paper.objects.create(title="Grouped", arxiv_id="2401.00001")
    digest = make_digest("week-1", issued=date(2024, 1, 8))
    add_summary(paper, digest, "ja", Summary.Kind.SUMMARY, "短い要約")
    add_summary(paper, digest, "ja", Summary.Kind.TITLE, "グループ化")
    html = page(client, paper.get_absolute_url(), "en")
    assert 'lang="ja"' in html  # the summary block, whatever the UI language
    assert html.index("Title translation") < html.index("Short summary")
    assert f'<a href="/digests/{digest.pk}/#2401.00001">Digest week-1</a>' in html
    assert '<time datetime="2024-01-08">2024-01-08</time>' in html


def test_a_related_papers_summary_links_to_the_entry_that_listed_it(client):
    listed = Paper.objects.create(title="Listed", arxiv_id="2401.00002")
    related = Paper.objects.create(title="Related one", arxiv_id="2401.00003")
    digest = make_digest("related")
    entry = DigestEntry.objects.create(digest=digest, paper=listed, position=1)
    Summary.objects.create(paper=related, entry=entry, language="ja", kind="summary", text="関連の要約")
    html = page(client, related.get_absolute_url(), "ja")
    assert "関連の要約" in html
    assert f'href="/digests/{digest.pk}/#2401.00002"' in html


# -- what readers must not see ----------------------------------------------------------------------------


def test_hidden_summaries_are_not_shown_anywhere(client):
    paper = Paper.objects.create(title="Half hidden", arxiv_id="2401.00004")
    digest = make_digest("hidden-summary")
    add_summary(paper, digest, "ja", "summary", "見える要約")
    add_summary(paper, digest, "zh", "summary", "隐藏的摘要", visibility=Visibility.HIDDEN)
    html = page(client, paper.get_absolute_url(), "zh-hans")
    assert "見える要約" in html
    assert "隐藏的摘要" not in html
    assert summary_languages(html) == ["ja"]
    data = client.get(paper.get_absolute_url(), {"format": "json"}).json()
    assert data["languages"] == ["ja"]
    assert "隐藏的摘要" not in json.dumps(data, ensure_ascii=False)


def test_a_hidden_paper_is_not_found_by_id_slug_or_json(client):
    paper = Paper.objects.create(title="Withdrawn", arxiv_id="2401.00005", visibility=Visibility.HIDDEN)
    assert client.get(paper.get_absolute_url()).status_code == 404
    assert client.get(f"/papers/{paper.slug}/").status_code == 404
    assert client.get(paper.get_absolute_url(), {"format": "json"}).status_code == 404


def test_hidden_papers_are_not_listed_as_related_or_similar(client):
    author = Author.objects.create(name="Shared Person")
    paper = Paper.objects.create(title="Visible", arxiv_id="2401.00006")
    hidden = Paper.objects.create(title="Secret sibling", visibility=Visibility.HIDDEN)
    for target in [paper, hidden]:
        Authorship.objects.create(paper=target, author=author, position=1)
    RelatedPaper.objects.create(paper=paper, related=hidden, position=1)
    html = page(client, paper.get_absolute_url())
    assert "Secret sibling" not in html
    assert client.get(paper.get_absolute_url(), {"format": "json"}).json()["related"] == []


def test_an_unknown_key_is_not_found(client):
    assert client.get("/papers/9999.99999/").status_code == 404
    assert client.get("/papers/no-such-paper/").status_code == 404


# -- one canonical URL ------------------------------------------------------------------------------------


def test_the_slug_url_of_an_arxiv_paper_redirects_permanently_to_the_id_url(
    client, django_assert_max_num_queries
):
    paper = Paper.objects.create(title="Moved", arxiv_id="2401.00007")
    assert paper.slug != paper.arxiv_id
    # The page cache's catalogue version, then the lookup: no page is built for a redirect.
    with django_assert_max_num_queries(3):
        response = client.get(f"/papers/{paper.slug}/")
    assert response.status_code == 301
    assert response["Location"] == "/papers/2401.00007/"
    response = client.get(f"/papers/{paper.slug}/", {"format": "json"})
    assert response.status_code == 301
    assert response["Location"] == "/papers/2401.00007/?format=json"


def test_a_versioned_arxiv_id_redirects_to_the_paper(client):
    Paper.objects.create(title="Versioned", arxiv_id="2401.00012")
    assert client.get("/papers/2401.00012v3/")["Location"] == "/papers/2401.00012/"
    assert client.get("/papers/2401.99999v1/").status_code == 404


def test_old_style_arxiv_ids_and_slugs_resolve(client):
    old = Paper.objects.create(title="Old style", arxiv_id="hep-th/9901001")
    dotted = Paper.objects.create(title="Dotted archive", arxiv_id="math.AG/0601001")
    no_id = Paper.objects.create(title="A paper without an arXiv id")
    assert old.get_absolute_url() == "/papers/hep-th/9901001/"
    assert "Old style" in page(client, "/papers/hep-th/9901001/")
    assert "Dotted archive" in page(client, dotted.get_absolute_url())
    assert client.get(f"/papers/{old.slug}/")["Location"] == "/papers/hep-th/9901001/"
    assert no_id.get_absolute_url() == f"/papers/{no_id.slug}/"
    assert "A paper without an arXiv id" in page(client, no_id.get_absolute_url())


def test_the_page_has_canonical_opengraph_and_twitter_meta(client):
    paper = Paper.objects.create(title="Meta tags", arxiv_id="2401.00008")
    digest = make_digest("meta")
    add_summary(paper, digest, "ja", "summary", "日本語の短い要約。" * 40)
    add_summary(paper, digest, "en", "abstract", "An English abstract.")
    html = page(client, paper.get_absolute_url(), "ja")
    assert '<link rel="canonical" href="http://testserver/papers/2401.00008/">' in html
    assert meta(html, "property", "og:title") == "Meta tags"
    assert meta(html, "property", "og:url") == "http://testserver/papers/2401.00008/"
    assert meta(html, "property", "og:type") == "article"
    assert meta(html, "name", "twitter:card") == "summary"
    description = meta(html, "property", "og:description")
    assert description.startswith("日本語の短い要約。")
    assert len(description) <= 200
    assert meta(page(client, paper.get_absolute_url(), "en"), "property", "og:description") == (
        "An English abstract."
    )


def test_json_ld_describes_a_scholarly_article(client, demo_data):
    kan = Paper.objects.get(arxiv_id=KAN)
    data = ld_json(page(client, kan.get_absolute_url()))
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "ScholarlyArticle"
    assert data["headline"] == data["name"] == "KAN: Kolmogorov-Arnold Networks"
    assert data["author"][0] == {"@type": "Person", "name": "Ziming Liu"}
    assert data["author"][-1]["name"] == "Max Tegmark"
    assert data["datePublished"] == "2024-04-30"
    cs_lg = next(item for item in data["about"] if item["identifier"] == "cs.LG")
    assert cs_lg["@type"] == "Thing" and cs_lg["name"]
    assert data["url"] == f"http://testserver/papers/{KAN}/"
    assert data["sameAs"] == f"https://arxiv.org/abs/{KAN}"
    assert data["inLanguage"] == "en"
    assert data["abstract"].startswith("Inspired by the Kolmogorov-Arnold")


# -- escaping ---------------------------------------------------------------------------------------------


def test_markup_in_titles_and_summaries_is_escaped_everywhere(client):
    paper = Paper.objects.create(title=f"{XSS} Attention", arxiv_id="2401.00009", abstract=f"{XSS} abstract")
    author = Author.objects.create(name=f"{XSS} Author")
    Authorship.objects.create(paper=paper, author=author, position=1)
    digest = make_digest("xss")
    digest.title = f"{XSS} digest"
    digest.save()
    add_summary(paper, digest, "ja", "summary", f"{XSS} 要約")
    add_summary(paper, digest, "ja", "title", f"{XSS} 題名")
    html = page(client, paper.get_absolute_url(), "ja")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Attention" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 要約" in html
    data = ld_json(html)  # the block parses, and its text is the original
    assert data["name"] == f"{XSS} Attention"
    assert data["author"] == [{"@type": "Person", "name": f"{XSS} Author"}]
    assert "\\u003Cscript\\u003E" in html
    digest_html = page(client, f"/digests/{digest.pk}/", "ja")
    assert "<script>alert" not in digest_html


# -- BibTeX -----------------------------------------------------------------------------------------------


def test_bibtex_escapes_braces_backslashes_and_latex_specials():
    assert bibtex_escape(r"A {B} \C 50% & $x$ #1 a_b ~ ^") == (
        r"A \{B\} \textbackslash{}C 50\% \& \$x\$ \#1 a\_b \textasciitilde{} \textasciicircum{}"
    )


def test_bibtex_entry_for_an_arxiv_paper():
    paper = Paper(title="Braces {and} back\\slash", arxiv_id="2404.19756", published=date(2024, 4, 30))
    entry = bibtex(paper, ["Ziming Liu", "Max Tegmark", "Research and Development Team"], "http://x/")
    assert entry == (
        "@article{2404.19756,\n"
        "  title={Braces \\{and\\} back\\textbackslash{}slash},\n"
        "  author={Ziming Liu and Max Tegmark and {Research and Development Team}},\n"
        "  journal={arXiv preprint arXiv:2404.19756},\n"
        "  year={2024},\n"
        "  eprint={2404.19756},\n"
        "  archivePrefix={arXiv},\n"
        "  url={https://arxiv.org/abs/2404.19756},\n"
        "}"
    )


def test_bibtex_for_a_paper_without_arxiv_id_uses_the_page_url(client):
    paper = Paper.objects.create(title="Q&A {robust}")
    html = page(client, paper.get_absolute_url())
    block = re.search(r'<pre class="bibtex"[^>]*><code>(.*?)</code></pre>', html, re.DOTALL)[1]
    assert block.startswith(f"@article{{{paper.slug},")
    assert "title={Q\\&amp;A \\{robust\\}}" in block
    assert f"url={{http://testserver/papers/{paper.slug}/}}" in block
    assert "eprint" not in block and "year" not in block


# -- the page's sections ------------------------------------------------------------------------------


def test_links_scores_categories_and_authors(client, demo_data):
    kan = Paper.objects.get(arxiv_id=KAN)
    html = page(client, kan.get_absolute_url())
    author = Author.objects.get(name="Ziming Liu")
    assert f'<a href="/authors/{author.pk}/">Ziming Liu</a>' in html
    assert html.index("Ziming Liu") < html.index("Max Tegmark")
    assert 'href="/categories/cs.LG/"' in html
    assert "https://github.com/KindXiaoming/pykan" in html
    code_label, code_url = html.index("<dt>Code</dt>"), html.index("https://github.com/KindXiaoming/pykan")
    assert code_label < code_url
    score = Score.objects.filter(paper=kan).select_related("source").first()
    assert score is not None
    assert score.source.name in html


def test_curated_related_papers_in_order_with_scores(client):
    paper = Paper.objects.create(title="Centre", arxiv_id="2401.00010")
    second = Paper.objects.create(title="Second related", arxiv_id="2401.00011")
    first = Paper.objects.create(title="First related")
    RelatedPaper.objects.create(paper=paper, related=second, position=2, score=12.5)
    RelatedPaper.objects.create(paper=paper, related=first, position=1, score=None)
    html = page(client, paper.get_absolute_url())
    assert html.index("First related") < html.index("Second related")
    assert "12.5" in html
    related = client.get(paper.get_absolute_url(), {"format": "json"}).json()["related"]
    assert related == [
        {"title": "First related", "url": f"http://testserver/papers/{first.slug}/", "score": None},
        {"title": "Second related", "url": "http://testserver/papers/2401.00011/", "score": 12.5},
    ]


def test_more_like_this_ranks_shared_authors_above_shared_categories(client):
    alice, bob = Author.objects.create(name="Alice"), Author.objects.create(name="Bob")
    nlp, vision = Category.objects.create(code="cs.CL"), Category.objects.create(code="cs.CV")
    paper = Paper.objects.create(title="Origin", arxiv_id="2401.00020")
    Authorship.objects.bulk_create(
        [Authorship(paper=paper, author=alice, position=1), Authorship(paper=paper, author=bob, position=2)]
    )
    paper.categories.add(nlp, vision)

    def other(title, authors=(), categories=(), **fields):
        created = Paper.objects.create(title=title, **fields)
        for position, author in enumerate(authors, start=1):
            Authorship.objects.create(paper=created, author=author, position=position)
        created.categories.add(*categories)
        return created

    other("Both authors", [alice, bob])  # 6
    other("One author, two categories", [alice], [nlp, vision])  # 5
    other("Two categories", [], [nlp, vision])  # 2
    other("One category", [], [vision])  # 1
    other("Nothing shared")
    other("Hidden twin", [alice, bob], [nlp], visibility=Visibility.HIDDEN)
    curated = other("Curated already", [alice, bob])
    RelatedPaper.objects.create(paper=paper, related=curated)
    for index in range(5):
        other(f"Filler {index}", [], [nlp])
    refresh_papers(Paper.objects.values_list("pk", flat=True))  # as the importer and the admin do
    html = page(client, paper.get_absolute_url())
    section = html[html.index('id="similar-heading"') :]
    titles = re.findall(r'<a href="/papers/[^"]+" lang="en">([^<]+)</a>', section)
    # Ties (one shared category each) go newest first, like every list; the curated one is listed above.
    assert titles == [
        "Both authors",
        "One author, two categories",
        "Two categories",
        "Filler 4",
        "Filler 3",
        "Filler 2",
    ]


# -- JSON -------------------------------------------------------------------------------------------------


def test_json_answer_has_the_documented_shape(client, demo_data):
    kan = Paper.objects.get(arxiv_id=KAN)
    response = client.get(kan.get_absolute_url(), {"format": "json"}, HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert set(data) == {
        "title",
        "arxiv_id",
        "url",
        "published",
        "authors",
        "categories",
        "languages",
        "summaries",
        "links",
        "scores",
        "related",
    }
    assert data["title"] == "KAN: Kolmogorov-Arnold Networks"
    assert data["arxiv_id"] == KAN
    assert data["url"] == f"http://testserver/papers/{KAN}/"
    assert data["published"] == "2024-04-30"
    assert data["authors"][:2] == ["Ziming Liu", "Yixuan Wang"]
    assert "cs.LG" in data["categories"]
    assert data["languages"][0] == "ja"
    assert {summary["language"] for summary in data["summaries"]} == set(data["languages"])
    assert all(set(summary) == {"language", "kind", "text", "digest"} for summary in data["summaries"])
    assert {"url": "https://github.com/KindXiaoming/pykan", "kind": "code"} in data["links"]
    assert all(isinstance(value, float) for value in data["scores"].values())
    assert isinstance(data["related"], list)


def test_json_for_a_paper_without_date_or_id(client):
    paper = Paper.objects.create(title="Bare")
    data = client.get(paper.get_absolute_url(), {"format": "json"}).json()
    assert data["arxiv_id"] is None and data["published"] is None
    assert data["summaries"] == [] and data["scores"] == {} and data["links"] == []


# -- query count --------------------------------------------------------------------------------------------


def big_paper() -> Paper:
    paper = Paper.objects.create(title="Crowded", arxiv_id="2401.00030", published=date(2024, 1, 2))
    authors = [Author.objects.create(name=f"Author {index}") for index in range(25)]
    Authorship.objects.bulk_create(
        Authorship(paper=paper, author=author, position=index) for index, author in enumerate(authors, 1)
    )
    categories = [Category.objects.create(code=f"cs.X{letter}") for letter in "ABCDEF"]
    paper.categories.add(*categories)
    for index in range(8):
        digest = make_digest(f"crowd-{index}", ["ja", "zh", "ko"][index % 3], date(2024, 1, index + 1))
        for kind in ["title", "summary", "method", "results"]:
            add_summary(paper, digest, digest.source.slug[-2:], kind, f"{kind} {index}")
        Score.objects.create(paper=paper, source=digest.source, kind=f"kind{index}", value=index)
        PaperLink.objects.create(paper=paper, kind="code", url=f"https://example.com/{index}")
        related = Paper.objects.create(title=f"Related {index}")
        RelatedPaper.objects.create(paper=paper, related=related, position=index + 1, score=index)
        similar = Paper.objects.create(title=f"Similar {index}")
        Authorship.objects.create(paper=similar, author=authors[index], position=1)
        similar.categories.add(*categories[:2])
    refresh_papers(Paper.objects.values_list("pk", flat=True))  # as the importer and the admin do
    return paper


def test_the_page_runs_a_constant_number_of_queries(client, django_assert_max_num_queries):
    small = Paper.objects.create(title="Small", arxiv_id="2401.00031")
    Authorship.objects.create(paper=small, author=Author.objects.create(name="Solo"), position=1)
    small.categories.add(Category.objects.create(code="cs.SM"))
    add_summary(small, make_digest("small"), "ja", "summary", "ひとつ")
    refresh_papers([small.pk])
    with CaptureQueriesContext(connection) as small_queries:
        page(client, small.get_absolute_url(), "ja")
    paper = big_paper()
    with django_assert_max_num_queries(len(small_queries)):
        html = page(client, paper.get_absolute_url(), "ja")
    assert "Author 24" in html and "Related 7" in html and "Similar 7" in html
    with django_assert_max_num_queries(len(small_queries)):
        client.get(paper.get_absolute_url(), {"format": "json"})
    # 8 for the page, 1 for the page cache's catalogue version, and "more like this" in up to three cheap
    # statements instead of one that scored every paper sharing a category.
    assert len(small_queries) <= 11
