"""Hidden means absent everywhere public: a hidden summary's text, a hidden paper's id and title, and the
authors, categories and digests that only hidden papers bring, in every page, export, feed and search.

The demo digests give Mamba one English abstract (arxiv.jp's) and KAN three (arxiv.jp's and 論文の概要's
much alike, PyTorchKR's another); 論文の概要 is a one-paper digest named after KAN whose entry also
carries the summaries of KAN's related papers (KAN 2.0 among them)."""

import json
import xml.etree.ElementTree as ET

import pytest

from papers.curation import set_visibility
from papers.models import (
    Author,
    Authorship,
    Category,
    Digest,
    DigestEntry,
    Paper,
    Source,
    Summary,
    Visibility,
)
from papers.search.index import refresh_papers

pytestmark = pytest.mark.django_db

KAN = "2404.19756"
KAN_TITLE = "KAN: Kolmogorov-Arnold Networks"
KAN_2 = "KAN 2.0: Kolmogorov-Arnold Networks Meet Science"
MAMBA = "2312.00752"
MAMBA_ABSTRACT_WORD = "genomics"  # only in Mamba's English abstract
KAN_2_SUMMARY_WORDS = "科学的発見"  # only in the summary KAN's 論文の概要 entry gives KAN 2.0
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode()


def get(client, url: str, language: str = "en") -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, url
    return body(response)


def english_abstracts(arxiv_id: str):
    return Summary.objects.filter(paper__arxiv_id=arxiv_id, language="en", kind=Summary.Kind.ABSTRACT)


def found(query: str) -> set[str]:
    return set(Paper.objects.published().search(query).values_list("title", flat=True))


def ld_json(html: str) -> dict:
    start = html.index('<script type="application/ld+json">') + len('<script type="application/ld+json">')
    return json.loads(html[start : html.index("</script>", start)])


def sitemap_urls(client) -> list[str]:
    """Every page URL of the sitemap, whether /sitemap.xml is one sitemap or an index of several."""
    root = ET.fromstring(get(client, "/sitemap.xml"))
    if root.tag == f"{SITEMAP_NS}sitemapindex":
        sections = [loc.text.removeprefix("http://testserver") for loc in root.iter(f"{SITEMAP_NS}loc")]
        roots = [ET.fromstring(get(client, section)) for section in sections]
    else:
        roots = [root]
    return [loc.text for root in roots for loc in root.iter(f"{SITEMAP_NS}loc")]


def public_pages(client) -> dict[str, str]:
    """Every page a reader can open, in English and Japanese, by URL: the lists and their exports and
    feeds, searches, and every paper, digest, author and category page that answers at all."""
    urls = [
        "/",
        "/papers/",
        "/papers/?format=json",
        "/papers/?format=csv",
        "/papers/feed/atom/",
        "/papers/feed/rss/",
        "/papers/?q=Kolmogorov",
        f"/papers/?q={MAMBA_ABSTRACT_WORD}&format=json",
    ]
    for paper in Paper.objects.published():
        urls += [paper.get_absolute_url(), f"{paper.get_absolute_url()}?format=json"]
    urls += [f"/digests/{pk}/" for pk in Digest.objects.values_list("pk", flat=True)]
    for pk in Author.objects.values_list("pk", flat=True):
        urls += [f"/authors/{pk}/", f"/authors/{pk}/?format=json", f"/papers/?author={pk}&format=json"]
    for code in Category.objects.values_list("code", flat=True):
        urls.append(f"/categories/{code}/")
    pages = {}
    for url in urls:
        for language in ("en", "ja"):
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code in (200, 404), url
            if response.status_code == 200:
                pages[f"{url} [{language}]"] = body(response)
    pages["/sitemap.xml"] = "\n".join(sitemap_urls(client))
    return pages


def leaks(pages: dict[str, str], secrets: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{secret!r} in {page}" for page, text in pages.items() for secret in secrets if secret in text
    )


# -- a hidden English abstract (item 7) -------------------------------------------------------------------


def test_a_hidden_english_abstract_leaves_the_paper_page_its_metadata_and_json(client, demo_papers):
    mamba = Paper.objects.get(arxiv_id=MAMBA)
    [summary] = english_abstracts(MAMBA)
    first_words = summary.text[:40]
    assert first_words in get(client, mamba.get_absolute_url())  # shown while published

    set_visibility(english_abstracts(MAMBA), Visibility.HIDDEN)
    html = get(client, mamba.get_absolute_url())
    assert first_words not in html and MAMBA_ABSTRACT_WORD not in html
    assert 'id="abstract-heading"' not in html  # no English abstract is left to show
    assert "abstract" not in ld_json(html)
    assert MAMBA_ABSTRACT_WORD not in get(client, f"{mamba.get_absolute_url()}?format=json")


def test_the_abstract_shown_is_a_published_english_abstract_summary(client, demo_papers):
    kan = Paper.objects.get(arxiv_id=KAN)
    pytorchkr = english_abstracts(KAN).get(entry__digest__name="pytorchkr_sample.txt")
    hidden = english_abstracts(KAN).exclude(pk=pytorchkr.pk)
    hidden_texts = [text[:40] for text in hidden.values_list("text", flat=True)]
    assert kan.abstract[:40] in hidden_texts  # the importer's record: the longest it was given
    set_visibility(hidden, Visibility.HIDDEN)

    html = get(client, kan.get_absolute_url())
    assert not any(text in html for text in hidden_texts)
    assert f'<p class="abstract" lang="en">{pytorchkr.text}</p>' in html
    assert ld_json(html)["abstract"] == pytorchkr.text


def test_a_hidden_english_abstract_is_not_searchable_until_published_again(client, demo_papers):
    mamba_title = Paper.objects.get(arxiv_id=MAMBA).title
    assert found(MAMBA_ABSTRACT_WORD) == {mamba_title}
    set_visibility(english_abstracts(MAMBA), Visibility.HIDDEN)
    assert found(MAMBA_ABSTRACT_WORD) == set()
    assert json.loads(get(client, f"/papers/?q={MAMBA_ABSTRACT_WORD}&format=json"))["count"] == 0
    set_visibility(english_abstracts(MAMBA), Visibility.PUBLISHED)
    assert found(MAMBA_ABSTRACT_WORD) == {mamba_title}


def test_a_hidden_english_abstract_is_no_newsletter_line(admin_client, demo_papers):
    digest = Digest.objects.get(name="arxiv_jp_sample.txt")

    def mamba_line() -> str:
        items = admin_client.get("/newsletter/", {"digest": digest.pk, "lang": "en"}).context["items"]
        return next(item.line for item in items if item.url.endswith(f"/papers/{MAMBA}/"))

    assert mamba_line().startswith("We address the quadratic cost")
    set_visibility(english_abstracts(MAMBA), Visibility.HIDDEN)
    assert "quadratic cost" not in mamba_line()


# -- a hidden paper and what only it brings (item 8) ------------------------------------------------------


def test_a_related_papers_page_does_not_lead_to_a_hidden_papers_digest(client, demo_papers):
    kan_2 = Paper.objects.get(title=KAN_2)
    kan_digest = Digest.objects.get(name="ronbun_gaiyou_sample.txt")
    assert f"/digests/{kan_digest.pk}/#{KAN}" in get(client, kan_2.get_absolute_url())

    set_visibility(Paper.objects.filter(arxiv_id=KAN), Visibility.HIDDEN)
    for url in (kan_2.get_absolute_url(), f"{kan_2.get_absolute_url()}?format=json"):
        text = get(client, url)
        assert KAN not in text and KAN_TITLE not in text and f"/digests/{kan_digest.pk}/" not in text


def test_texts_a_hidden_papers_entry_gave_other_papers_leave_search(demo_papers):
    """Whoever changes a paper's visibility (the admin's change form too) refreshes that paper: the papers
    whose summaries its digest entries carry are refreshed with it."""
    kan = Paper.objects.get(arxiv_id=KAN)
    assert found(KAN_2_SUMMARY_WORDS) == {KAN_2}
    Paper.objects.filter(pk=kan.pk).update(visibility=Visibility.HIDDEN)
    refresh_papers([kan.pk])
    assert found(KAN_2_SUMMARY_WORDS) == set()
    assert "ja" not in Paper.objects.get(title=KAN_2).languages
    Paper.objects.filter(pk=kan.pk).update(visibility=Visibility.PUBLISHED)
    refresh_papers([kan.pk])
    assert found(KAN_2_SUMMARY_WORDS) == {KAN_2}


def test_a_digest_of_hidden_papers_only_is_not_found_listed_or_in_the_sitemap(client, demo_papers):
    kan_digest = Digest.objects.get(name="ronbun_gaiyou_sample.txt")
    arxiv_jp = Digest.objects.get(name="arxiv_jp_sample.txt")  # KAN, Mamba and Attention
    assert str(kan_digest) in get(client, "/")

    set_visibility(Paper.objects.filter(arxiv_id=KAN), Visibility.HIDDEN)
    assert client.get(f"/digests/{kan_digest.pk}/").status_code == 404
    assert str(kan_digest) not in get(client, "/")
    assert f"http://testserver/digests/{kan_digest.pk}/" not in sitemap_urls(client)
    html = get(client, f"/digests/{arxiv_jp.pk}/")  # it still lists its other papers
    assert MAMBA in html and KAN not in html and KAN_TITLE not in html


def test_a_digest_without_a_published_paper_is_not_found(client):
    source = Source.objects.create(slug="weekly", name="Weekly")
    digest = Digest.objects.create(source=source, name="w.txt", checksum="0" * 64, status="imported")
    assert client.get(f"/digests/{digest.pk}/").status_code == 404  # it lists nothing
    hidden = Paper.objects.create(title="Withdrawn", arxiv_id="2401.00203", visibility=Visibility.HIDDEN)
    DigestEntry.objects.create(digest=digest, paper=hidden, position=1)
    assert client.get(f"/digests/{digest.pk}/").status_code == 404
    shown = Paper.objects.create(title="Still here", arxiv_id="2401.00204")
    DigestEntry.objects.create(digest=digest, paper=shown, position=2)
    assert client.get(f"/digests/{digest.pk}/").status_code == 200


def test_no_public_page_export_or_feed_shows_hidden_content(client, demo_papers):
    # KAN's id and title, a word of Mamba's English abstract, an author and a category only KAN has.
    secrets = (KAN, KAN_TITLE, MAMBA_ABSTRACT_WORD, "Ziming Liu", "cond-mat.dis-nn")
    before = "\n".join(public_pages(client).values())
    assert [secret for secret in secrets if secret not in before] == []  # all of them are public now

    set_visibility(Paper.objects.filter(arxiv_id=KAN), Visibility.HIDDEN)
    set_visibility(english_abstracts(MAMBA), Visibility.HIDDEN)
    assert leaks(public_pages(client), secrets) == []


# -- authors and categories of hidden papers --------------------------------------------------------------


@pytest.fixture
def half_hidden():
    """Ada signs a published and a hidden paper, Bob only the hidden one, Cy nothing; cs.AI is on both
    papers, q-bio.NC only on the hidden one."""
    shown = Paper.objects.create(title="A paper everyone may read", arxiv_id="2401.00201")
    hidden = Paper.objects.create(
        title="A withdrawn paper", arxiv_id="2401.00202", visibility=Visibility.HIDDEN
    )
    ada, bob, cy = (Author.objects.create(name=name) for name in ("Ada Quill", "Bob Hidden", "Cy Nobody"))
    Authorship.objects.create(paper=shown, author=ada, position=1)
    Authorship.objects.create(paper=hidden, author=ada, position=1)
    Authorship.objects.create(paper=hidden, author=bob, position=2)
    public_category = Category.objects.create(code="cs.AI")
    hidden_category = Category.objects.create(code="q-bio.NC")
    shown.categories.add(public_category)
    hidden.categories.add(public_category, hidden_category)
    refresh_papers([shown.pk, hidden.pk])
    return {"ada": ada, "bob": bob, "cy": cy}


def test_an_author_without_published_papers_is_not_found(client, half_hidden):
    assert client.get(f"/authors/{half_hidden['bob'].pk}/").status_code == 404
    assert client.get(f"/authors/{half_hidden['bob'].pk}/?format=json").status_code == 404
    assert client.get(f"/authors/{half_hidden['cy'].pk}/").status_code == 404
    listed = json.loads(get(client, f"/authors/{half_hidden['ada'].pk}/?format=json"))
    assert [paper["title"] for paper in listed["results"]] == ["A paper everyone may read"]
    assert "Bob Hidden" not in get(client, f"/authors/{half_hidden['ada'].pk}/")


def test_a_category_without_published_papers_is_not_found(client, half_hidden):
    assert client.get("/categories/q-bio.NC/").status_code == 404
    listed = json.loads(get(client, "/categories/cs.AI/?format=json"))
    assert [paper["title"] for paper in listed["results"]] == ["A paper everyone may read"]


def test_facets_neither_count_nor_name_what_only_hidden_papers_bring(client, half_hidden):
    facets = json.loads(get(client, "/papers/?format=json"))["facets"]
    assert [(value["label"], value["count"]) for value in facets["author"]] == [("Ada Quill", 1)]
    assert [(value["value"], value["count"]) for value in facets["category"]] == [("cs.AI", 1)]
    # A selected value with no match is still offered for removal, but by its id, not the hidden name.
    bob = half_hidden["bob"].pk
    selected = json.loads(get(client, f"/papers/?author={bob}&format=json"))
    assert selected["count"] == 0
    assert "Bob Hidden" not in json.dumps(selected, ensure_ascii=False)
    assert "Bob Hidden" not in get(client, f"/papers/?author={bob}")
