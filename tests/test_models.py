import pytest
from django.db import IntegrityError, transaction

from papers.models import Author, Authorship, Digest, DigestEntry, Paper, RelatedPaper, Source, Summary

pytestmark = pytest.mark.django_db


def test_duplicate_arxiv_id_is_rejected_by_the_database():
    Paper.objects.create(title="Attention Is All You Need", arxiv_id="1706.03762")
    with pytest.raises(IntegrityError), transaction.atomic():
        Paper.objects.bulk_create(
            [Paper(title="Another title", title_key="anothertitle", arxiv_id="1706.03762", slug="x")]
        )


def test_malformed_arxiv_id_is_rejected_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        Paper.objects.bulk_create(
            [Paper(title="Bad id", title_key="badid", arxiv_id="1706.03762v5", slug="bad")]
        )


def test_papers_without_arxiv_id_are_unique_by_title_key():
    Paper.objects.create(title="Snowflake Arctic")
    with pytest.raises(IntegrityError), transaction.atomic():
        Paper.objects.create(title="snowflake  ARCTIC")


def test_title_key_and_slug_are_derived_from_the_title():
    paper = Paper.objects.create(title="Ｆｉｎｅ－Ｗｅｂ: Web data!")
    assert paper.title_key == "finewebwebdata"
    assert paper.slug.startswith("fine-web-web-data-")
    assert Paper.objects.create(title="KAN", arxiv_id="2404.19756").slug == "240419756"


def test_authors_keep_their_order_and_the_same_name_may_appear_twice():
    paper = Paper.objects.create(title="Hammer: Robust Function-Calling for On-Device Language Models")
    names = ["Qiqiang Lin", "Jun Wang", "Weinan Zhang", "Jun Wang"]
    authors = {name: Author.objects.get_or_create(name=name)[0] for name in names}
    for position, name in reversed(list(enumerate(names, start=1))):
        Authorship.objects.create(paper=paper, author=authors[name], position=position)
    ordered = [a.author.name for a in paper.authorships.all()]
    assert ordered == names
    with pytest.raises(IntegrityError), transaction.atomic():
        Authorship.objects.create(paper=paper, author=authors["Qiqiang Lin"], position=2)


def test_author_names_are_kept_as_printed_and_never_merged_by_key():
    Author.objects.create(name="Marin Soljačić")
    Author.objects.create(name="Marin Soljacic")
    assert Author.objects.filter(name_key="marinsoljacic").count() == 1  # key keeps the accent's letter
    assert Author.objects.count() == 2


def test_summary_checks_kind_language_and_text():
    paper = Paper.objects.create(title="Mamba")
    Summary.objects.create(paper=paper, language="ja", kind="abstract", text="要約")
    for bad in [dict(kind="poem"), dict(language="Japanese"), dict(text="")]:
        values = {"paper": paper, "language": "ja", "kind": "abstract", "text": "x", **bad}
        with pytest.raises(IntegrityError), transaction.atomic():
            Summary.objects.create(**values)
    assert paper.summaries.get().text == "要約"


def test_digest_entries_are_unique_per_paper_and_a_paper_cannot_relate_to_itself():
    source = Source.objects.create(slug="arxiv-jp", name="arxiv.jp")
    digest = Digest.objects.create(source=source, name="a.txt", checksum="0" * 64)
    paper = Paper.objects.create(title="Mamba")
    DigestEntry.objects.create(digest=digest, paper=paper, position=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        DigestEntry.objects.create(digest=digest, paper=paper, position=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        RelatedPaper.objects.create(paper=paper, related=paper)


def test_digest_checksum_must_be_sha256_hex():
    source = Source.objects.create(slug="s", name="S")
    with pytest.raises(IntegrityError), transaction.atomic():
        Digest.objects.create(source=source, name="a.txt", checksum="not-a-checksum")
