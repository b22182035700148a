"""`generate_corpus`: a synthetic corpus through the importer's tables, with the derived columns exactly as
refresh_papers computes them, bench terms that search finds, deterministic for a seed, refusing a
non-empty catalogue unless --replace, and pages that render on it."""

import re
from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from benchmarks.corpus import plan as corpus_plan
from benchmarks.corpus.generate import empty_catalogue, generate_corpus
from benchmarks.corpus.vocabulary import BENCH_TERMS
from papers.backup.format import catalogue_is_empty
from papers.ingest.families import SOURCES
from papers.models import (
    Author,
    Authorship,
    Digest,
    DigestEntry,
    ImportJob,
    ImportJobFile,
    Paper,
    PaperLink,
    Score,
    Source,
    Summary,
)
from papers.search.index import SCORE_SCALES, refresh_all

pytestmark = pytest.mark.django_db

N = 300
DERIVED = (
    "search_vector::text",
    "languages",
    "digest_count",
    "has_code",
    "editorial_score",
    "category_ids",
    "author_ids",
    "source_ids",
    "digest_ids",
)
KANA = re.compile("[\u3041-\u3096\u30a1-\u30fa]")
HAN = re.compile("[\u4e00-\u9fff]")
HANGUL = re.compile("[\uac00-\ud7a3]")


def generate(papers: int = N, seed: int = 7, *args: str) -> str:
    out = StringIO()
    call_command("generate_corpus", f"--papers={papers}", f"--seed={seed}", *args, stdout=out, verbosity=0)
    return out.getvalue()


def derived_columns() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {', '.join(DERIVED)} FROM papers_paper ORDER BY id")
        return cursor.fetchall()


@pytest.fixture(scope="class")
def generated(django_db_setup, django_db_blocker):
    """One corpus for the tests that only read it, written the bulk way (outside any transaction: forked
    workers with their own connections, parent rows beside them, VACUUM), emptied again afterwards."""
    with django_db_blocker.unblock(), pytest.MonkeyPatch.context() as patch:
        patch.setattr(corpus_plan, "CHUNK", 64)  # several chunks for the two worker processes
        output = generate(N, 7, "--workers=2")
        yield output
        empty_catalogue()


@pytest.fixture(scope="module")
def big_plan():
    return corpus_plan.make_plan(10_000, seed=1)


def test_a_long_tail_of_authors(big_plan):
    plan = big_plan
    papers_per_author = Counter(author for authors in plan.paper_authors for author in authors)
    counts = sorted(papers_per_author.values())
    assert counts[len(counts) // 2] <= 2  # most authors sign one or two papers
    assert counts[-1] >= 100  # a few sign hundreds (at 1M papers; here 20k)


class TestOneCorpus:
    """Read-only checks on one generated corpus (each test in a transaction rolled back after it)."""

    def test_rows_per_table_are_in_the_expected_ranges(self, generated, db):
        assert Paper.objects.count() == N
        assert 2.5 * N <= Summary.objects.count() <= 3.5 * N
        assert 1.1 * N <= DigestEntry.objects.count() <= 1.3 * N
        authors_per_paper = Counter(Authorship.objects.values_list("paper_id", flat=True))
        assert set(authors_per_paper.values()) <= set(range(2, 13)) and len(authors_per_paper) == N
        categories = Counter(Paper.categories.through.objects.values_list("paper_id", flat=True))
        assert set(categories.values()) <= {1, 2, 3, 4} and len(categories) == N
        sizes = Counter(DigestEntry.objects.values_list("digest_id", flat=True))
        assert min(sizes.values()) >= 5 and max(sizes.values()) <= 50
        assert {(s.slug, s.name) for s in Source.objects.all()} == {
            (i.slug, i.name) for i in SOURCES.values()
        }
        # Some papers are in two or three digests, never twice in one.
        digest_counts = Counter(Paper.objects.values_list("digest_count", flat=True))
        assert set(digest_counts) <= {1, 2, 3} and digest_counts[2] + digest_counts[3] > 0
        # Code links on about 30% of papers; scores only of the kinds the catalogue scales; mostly published.
        assert 0.2 * N <= PaperLink.objects.filter(kind="code").count() <= 0.4 * N
        assert Score.objects.exists() and set(Score.objects.values_list("kind", flat=True)) <= set(
            SCORE_SCALES
        )
        assert Paper.objects.published().count() >= 0.97 * N
        assert Digest.objects.filter(status="imported").count() == Digest.objects.count()
        assert "Generated 300 papers" in generated

    def test_every_paper_has_one_to_four_summaries_from_its_entries(self, generated, db):
        per_paper = Counter(Summary.objects.values_list("paper_id", flat=True))
        assert len(per_paper) == N and set(per_paper.values()) <= {1, 2, 3, 4}
        assert set(Summary.objects.values_list("language", flat=True)) == {"ja", "zh", "ko", "en"}
        assert set(Summary.objects.values_list("kind", flat=True)) <= set(Summary.Kind.values)
        # Provenance as the importer writes it: each summary points at its paper's entry in a digest.
        assert not Summary.objects.filter(entry__isnull=True).exists()
        assert not Summary.objects.exclude(entry__paper_id=models_f("paper_id")).exists()

    def test_each_language_is_written_in_its_script(self, generated, db):
        texts = {
            language: list(Summary.objects.filter(language=language).values_list("text", flat=True)[:50])
            for language in ("ja", "zh", "ko", "en")
        }
        assert all(KANA.search(text) and HAN.search(text) for text in texts["ja"])
        assert all(
            HAN.search(text) and not KANA.search(text) and not HANGUL.search(text) for text in texts["zh"]
        )
        assert all(HANGUL.search(text) for text in texts["ko"])
        assert all(text.isascii() for text in texts["en"])

    @pytest.mark.parametrize("language", ["ja", "zh", "ko", "en"])
    def test_bench_terms_are_found_by_search_in_their_language(self, generated, db, language):
        term = BENCH_TERMS[language]
        hits = list(Paper.objects.search(term))
        assert 1 <= len(hits) <= 0.1 * N
        for paper in hits:
            if language == "en":
                texts = [
                    paper.title,
                    paper.abstract,
                    *paper.summaries.filter(language="en").values_list("text", flat=True),
                ]
                assert any("diffusion" in text.lower() for text in texts)
            else:
                texts = paper.summaries.filter(language=language).values_list("text", flat=True)
                assert any(all(word in text for word in term.split()) for text in texts)

    def test_derived_columns_are_what_refresh_all_computes(self, generated, db):
        before = derived_columns()
        assert len(before) == N and all(row[1] for row in before)  # every paper has a search vector
        refresh_all()
        assert derived_columns() == before

    def test_two_workers_write_what_one_writes_in_a_transaction(self, generated, db):
        parallel = (list(Paper.objects.order_by("pk").values_list("title", "arxiv_id")), derived_columns())
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(corpus_plan, "CHUNK", 64)
            generate_corpus(N, seed=7, replace=True)  # one worker: inside the test's transaction
        assert (
            list(Paper.objects.order_by("pk").values_list("title", "arxiv_id")),
            derived_columns(),
        ) == parallel

    def test_foreign_keys_hold_and_new_rows_get_fresh_ids(self, generated, db):
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # runs the deferred foreign-key checks now
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        author = Author.objects.create(name="A Brand New Author")
        assert author.pk == Author.objects.count()

    def test_pages_render_on_the_corpus(self, client, generated, db):
        assert client.get("/papers/").status_code == 200
        assert client.get("/papers/", {"q": BENCH_TERMS["ja"]}).status_code == 200
        paper = Paper.objects.published().filter(related_links__isnull=False).first()
        response = client.get(paper.get_absolute_url())
        assert response.status_code == 200
        assert paper.title.encode() in response.content
        assert client.get(f"/digests/{Digest.objects.first().pk}/").status_code == 200


def models_f(name: str):
    from django.db.models import F

    return F(name)


def test_bench_terms_hit_one_to_five_percent_of_papers(big_plan):
    """On a larger plan: the share of papers whose main topic carries a bench term and that have a
    summary in that language (or, for English, any paper about it: its title names the topic)."""
    plan = big_plan
    topics = [
        content.topic
        for chunk in range(len(plan.chunks()))
        for content in corpus_plan.chunk_contents(plan, chunk)[1]
    ]
    for language, term in BENCH_TERMS.items():
        hits = 0
        for topic, summaries in zip(topics, plan.paper_summaries, strict=True):
            words = topic.focus.get(language)
            about = all(word in words for word in term.split()) if language != "en" else term in words
            if about and (language == "en" or any(lang == language for _, lang, _, _ in summaries)):
                hits += 1
        assert 0.01 <= hits / plan.papers <= 0.05, (language, hits / plan.papers)


def test_same_seed_same_corpus_other_seed_other_corpus():
    def snapshot():
        return (
            list(Paper.objects.order_by("pk").values_list("title", "arxiv_id", "abstract")),
            list(Summary.objects.order_by("pk").values_list("text", flat=True)[:200]),
            derived_columns(),
        )

    generate(120, 3)
    first = snapshot()
    generate(120, 3, "--replace")
    assert snapshot() == first
    generate(120, 4, "--replace")
    assert snapshot()[0] != first[0]


def test_refuses_a_non_empty_catalogue_and_replace_keeps_upload_jobs():
    generate(60)
    with pytest.raises(CommandError, match=r"not empty.*--replace"):
        generate(50)
    assert Paper.objects.count() == 60
    job = ImportJob.objects.create(total_files=1)
    ImportJobFile.objects.create(job=job, position=1, name="x.txt", data=b"x", digest=Digest.objects.first())
    generate(50, 7, "--replace")
    assert Paper.objects.count() == 50 and Paper.objects.order_by("pk").first().pk == 1
    assert ImportJobFile.objects.get().digest is None  # the job stays; its digest is gone


@pytest.mark.parametrize("args", [["--papers=0"], ["--papers=-5"], ["--papers=10", "--workers=0"]])
def test_bad_arguments_are_refused(args):
    with pytest.raises(CommandError, match="at least 1"):
        call_command("generate_corpus", *args, stdout=StringIO())
    assert catalogue_is_empty()
