"""The newsletter helper: Markdown and HTML snippets of a paper list or a digest, for staff only."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from papers.models import Digest, DigestEntry, Paper, Source, Summary
from papers.search.index import refresh_papers
from papers.views.newsletter import NEWSLETTER_PAPERS, one_line

pytestmark = pytest.mark.django_db

URL = "/newsletter/"
MARKUP = "<script>alert(1)</script> & [KAN]*bold*_x_ `code`"


def paper(title: str, published: date | None = None, **summaries: str) -> Paper:
    """``summaries`` by language: ``ja="…"`` adds a short summary in Japanese."""
    row = Paper.objects.create(title=title, published=published)
    for language, text in summaries.items():
        Summary.objects.create(paper=row, language=language, kind="summary", text=text)
    refresh_papers([row.pk])
    return row


def test_the_url_is_named():
    assert reverse("newsletter") == URL


def test_anonymous_users_and_readers_are_sent_to_the_login(client, django_user_model):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/?next=/newsletter/")
    client.force_login(django_user_model.objects.create_user("reader", password="x"))
    assert client.get(URL)["Location"].startswith("/admin/login/")


def test_markup_in_titles_and_summaries_is_escaped_in_both_snippets(admin_client):
    paper(MARKUP, en="A <b>bold</b> claim & more.")
    response = admin_client.get(URL, {"lang": "en"})
    markdown, html = response.context["markdown"], response.context["html"]
    assert markdown == (
        r"- [\<script\>alert(1)\</script\> \& \[KAN\]\*bold\*\_x\_ \`code\`](http://testserver/papers/"
        + Paper.objects.get().slug
        + r"/) — A \<b\>bold\</b\> claim \& more."
        + "\n"
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; [KAN]*bold*_x_ `code`</a>" in html
    assert "A &lt;b&gt;bold&lt;/b&gt; claim &amp; more." in html
    assert "<script>" not in html and "<b>" not in html
    page = response.content.decode()
    assert "<script>alert" not in page and "<b>bold" not in page
    # The page escapes the HTML snippet once more, so the textarea shows (and copies) the escaped source.
    assert "&lt;a href=&quot;http://testserver/papers/" in page
    assert "&amp;lt;script&amp;gt;alert(1)" in page


def test_a_digest_gives_its_published_papers_in_its_order(admin_client):
    source = Source.objects.create(slug="zh", name="zh digest")
    digest = Digest.objects.create(source=source, name="d.txt", checksum="a" * 64, status="imported")
    titles = ["Third newest", "Hidden one", "Newest", "Oldest"]
    for position, (title, day) in enumerate(zip(titles, [3, 9, 9, 1], strict=True), start=1):
        row = paper(title, date(2024, 1, day), zh=f"{title} 的摘要。")
        DigestEntry.objects.create(digest=digest, paper=row, position=position)
    Paper.objects.filter(title="Hidden one").update(visibility="hidden")
    response = admin_client.get(URL, {"digest": digest.pk, "lang": "zh"})
    assert [item.title for item in response.context["items"]] == ["Third newest", "Newest", "Oldest"]
    lines = response.context["markdown"].splitlines()
    assert [line.split("]")[0] for line in lines] == ["- [Third newest", "- [Newest", "- [Oldest"]
    assert lines[0].endswith(" — Third newest 的摘要。")
    assert admin_client.get(URL, {"digest": "x"}).status_code == 404
    assert admin_client.get(URL, {"digest": digest.pk + 1}).status_code == 404


def test_the_list_takes_the_paper_lists_filters_and_stops_at_30(admin_client):
    for day in range(1, NEWSLETTER_PAPERS + 3):
        paper(f"Paper {day:02d}", date(2024, 1, 1) + timedelta(days=day))
    paper("Quokka transformers", date(2023, 1, 1))
    items = admin_client.get(URL).context["items"]
    assert len(items) == NEWSLETTER_PAPERS and items[0].title == "Paper 32"  # newest first
    assert [item.title for item in admin_client.get(URL, {"q": "quokka"}).context["items"]] == [
        "Quokka transformers"
    ]


def test_the_line_is_in_the_chosen_language_else_another(admin_client):
    paper(
        "KAN",
        ja="コルモゴロフ・アーノルド表現定理に着想を得た。二文目です。",
        en="Inspired by the Kolmogorov-Arnold theorem. Second sentence.",
    )
    paper("Mamba", zh="选择性状态空间模型。")

    def lines(**params) -> dict[str, str]:
        return {item.title: item.line for item in admin_client.get(URL, params).context["items"]}

    assert lines(lang="ja") == {
        "KAN": "コルモゴロフ・アーノルド表現定理に着想を得た。",
        "Mamba": "选择性状态空间模型。",
    }
    assert lines(lang="en")["KAN"] == "Inspired by the Kolmogorov-Arnold theorem."
    assert lines()["KAN"] == "Inspired by the Kolmogorov-Arnold theorem."  # the reader's language: English
    page = admin_client.get(URL, {"lang": "ja", "q": "KAN"}).content.decode()
    assert 'href="?lang=zh&amp;q=KAN"' in page  # switching language keeps the list's query


def test_a_short_summary_comes_before_the_abstract_and_the_abstract_before_nothing(admin_client):
    row = paper("Attention Is All You Need")
    Summary.objects.create(paper=row, language="en", kind="abstract", text="The abstract. More.")
    assert admin_client.get(URL).context["items"][0].line == "The abstract."
    Summary.objects.create(paper=row, language="en", kind="summary", text="The short summary.")
    assert admin_client.get(URL).context["items"][0].line == "The short summary."


def test_one_line_is_the_first_sentence_or_about_140_characters():
    assert one_line("First one.\nSecond one.") == "First one."
    assert one_line("Pi is 3.14 and more. Then") == "Pi is 3.14 and more."
    assert one_line("最初の文。次の文。") == "最初の文。"
    long = "word " * 60
    assert len(one_line(long)) <= 140 and one_line(long).endswith("…")


def test_staff_find_the_newsletter_from_lists_digests_and_the_digest_admin(admin_client, demo_papers):
    digest = Digest.objects.first()
    assert (
        reverse("newsletter") + "?q=KAN"
        in admin_client.get(reverse("paper_list"), {"q": "KAN"}).content.decode()
    )
    newsletter_for_digest = f"{reverse('newsletter')}?digest={digest.pk}"
    assert (
        newsletter_for_digest in admin_client.get(reverse("digest_detail", args=[digest.pk])).content.decode()
    )
    admin_page = admin_client.get(reverse("admin:papers_digest_change", args=[digest.pk])).content.decode()
    assert newsletter_for_digest in admin_page


def test_readers_see_no_newsletter_link(client, demo_papers):
    assert "Newsletter snippet" not in client.get(reverse("paper_list")).content.decode()
