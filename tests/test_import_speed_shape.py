"""The importer's shape at scale: a large synthetic digest imports completely, the number of queries does not
grow with the number of papers (the guard for speed; timings live in the benchmark, not here), re-imports of
a large file change nothing, the derived columns match a full refresh, and lock sets of any size work."""

import threading
from collections import Counter

import pytest
from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext

from benchmarks.synthetic_digest import arxiv_id, large_digest
from papers.ingest.families import read_digest
from papers.ingest.importer import CREATED, UNCHANGED, UPDATED, import_digest, locks
from papers.ingest.importer.locks import lock_keys
from papers.models import Author, DigestEntry, Paper, Summary, Visibility
from papers.search.index import SCORE_SCALES, refresh_all, refresh_papers
from papers.search.text import index_text
from tests.conftest import SAMPLES, SEEDS

pytestmark = pytest.mark.django_db


def imported(papers: int, *, seed: int = 0, first_id: int = 0, name: str | None = None, **kwargs):
    data, default_name = large_digest(papers, seed=seed, first_id=first_id)
    result = import_digest(data, name or default_name, **kwargs)
    assert result.ok, result.errors
    return result


def states(result) -> Counter:
    return Counter(outcome.state for outcome in result.papers)


def queries_of(papers: int, **kwargs) -> int:
    with CaptureQueriesContext(connection) as captured:
        imported(papers, **kwargs)
    return len(captured)


# -- the synthetic digest -----------------------------------------------------------------------------------


def test_the_synthetic_digest_parses_without_errors_or_warnings():
    data, name = large_digest(300)
    parsed = read_digest(data).parsed
    assert parsed.family == "arxiv_jp" and not parsed.warnings and name.endswith(".txt")
    papers = parsed.papers
    assert len(papers) == 300
    assert [paper.arxiv_id for paper in papers] == [arxiv_id(number) for number in range(300)]
    assert len({paper.title for paper in papers}) == 300
    for paper in papers:
        assert 2 <= len(paper.authors) <= 8 and len(set(paper.authors)) == len(paper.authors)
        assert 1 <= len(paper.categories) <= 4 and paper.published is not None
        assert [(s.language, s.kind) for s in paper.summaries] == [("ja", "abstract"), ("en", "abstract")]
        assert paper.abstract == paper.summaries[1].text
        assert [link.url for link in paper.links] == [f"https://arxiv.org/pdf/{paper.arxiv_id}"]
    # Authors come from a pool: many papers share some.
    counts = Counter(name for paper in papers for name in paper.authors)
    assert counts.most_common(1)[0][1] >= 10


def test_ranges_are_disjoint_seeds_change_only_the_texts_and_the_bytes_are_reproducible():
    first, second = (
        read_digest(large_digest(50)[0]).parsed,
        read_digest(large_digest(50, first_id=50)[0]).parsed,
    )
    assert not {p.arxiv_id for p in first.papers} & {p.arxiv_id for p in second.papers}
    assert not {p.title for p in first.papers} & {p.title for p in second.papers}
    assert large_digest(50) == large_digest(50)
    other = read_digest(large_digest(50, seed=1)[0]).parsed
    assert large_digest(50, seed=1)[1] == large_digest(50)[1]  # the same file, corrected
    same = [(p.arxiv_id, p.title, p.authors, p.categories, p.published) for p in first.papers]
    assert same == [(p.arxiv_id, p.title, p.authors, p.categories, p.published) for p in other.papers]
    assert sum(p.summaries != q.summaries for p, q in zip(first.papers, other.papers, strict=True)) > 45


def test_ten_thousand_papers_fit_the_importers_file_limit():
    data, _ = large_digest(10_000)
    assert len(data) < settings.DIGEST_MAX_FILE_BYTES


# -- importing it -------------------------------------------------------------------------------------------


def test_a_large_digest_imports_every_paper_and_the_preview_says_so_exactly():
    preview = imported(400, dry_run=True)
    assert states(preview) == {CREATED: 400} and preview.summaries_created == 800
    assert Paper.objects.count() == Summary.objects.count() == Author.objects.count() == 0
    result = imported(400)
    assert states(result) == {CREATED: 400} and result.summaries_created == 800
    assert [o.paper_id for o in result.papers] == list(
        Paper.objects.order_by("pk").values_list("pk", flat=True)
    )
    assert Paper.objects.count() == 400 and Summary.objects.count() == 800
    assert DigestEntry.objects.filter(digest_id=result.digest_id).count() == 400
    paper = Paper.objects.get(arxiv_id=arxiv_id(7))
    assert paper.history.get().history_type == "+"
    assert {s.history.get().history_change_reason for s in paper.summaries.all()} == {
        f"imported from {large_digest(400)[1]}"
    }
    assert paper.search_vector and paper.languages == ["en", "ja"] and paper.digest_count == 1


def test_the_number_of_queries_does_not_grow_with_the_number_of_papers():
    imported(5, first_id=90_000)  # the source, the categories and some authors exist from here on
    new_small, new_large = queries_of(50), queries_of(500, first_id=1_000)
    # Per-paper queries would make 50 papers cost more than 50 queries and 500 papers ten times more.
    assert new_small < 50
    assert new_large <= new_small + 1  # at most: creating authors that the smaller file found existing
    again_small, again_large = queries_of(50), queries_of(500, first_id=1_000)
    assert again_large <= again_small + 1 and again_small < 50
    corrected_small, corrected_large = queries_of(50, seed=1), queries_of(500, seed=1, first_id=1_000)
    assert corrected_large <= corrected_small + 1 and corrected_small < 50
    name = "the same papers in another digest.txt"
    other_small, other_large = (
        queries_of(50, name="small " + name),
        queries_of(500, first_id=1_000, name=name),
    )
    assert other_large <= other_small + 1 and other_small < 50


def snapshot() -> dict:
    """Rows with their ids and timestamps, and the derived columns as PostgreSQL prints them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, title, arxiv_id, published, abstract, updated_at, search_vector::text, languages,"
            " digest_count, has_code, editorial_score, category_ids, author_ids, source_ids, digest_ids"
            " FROM papers_paper ORDER BY id"
        )
        papers = cursor.fetchall()
    return {
        "papers": papers,
        "summaries": list(Summary.objects.order_by("pk").values_list("pk", "entry_id", "text", "updated_at")),
        "summary_history": Summary.history.count(),
        "paper_history": Paper.history.count(),
        "entries": list(DigestEntry.objects.order_by("pk").values_list("pk", "paper_id", "position", "line")),
        "authorships": list(Paper.authors.through.objects.order_by("pk").values_list("pk", "author_id")),
    }


def test_re_importing_a_large_digest_changes_nothing():
    imported(300)
    before = snapshot()
    for dry_run in (True, False):
        result = imported(300, dry_run=dry_run)
        assert result.identical and states(result) == {UNCHANGED: 300}
        assert result.summaries_created == result.summaries_updated == result.summaries_deleted == 0
    assert snapshot() == before


def test_a_corrected_large_digest_updates_the_texts_with_their_history():
    imported(120)
    result = imported(120, seed=1)
    assert states(result) == {UPDATED: 120}
    assert result.summaries_created == result.summaries_deleted == 0
    changed = Summary.history.filter(history_type="~")
    assert result.summaries_updated == changed.count() > 200
    assert set(changed.values_list("history_change_reason", flat=True)) == {
        f"imported from {large_digest(120)[1]}"
    }
    outcome = result.papers[0]
    assert {"ja abstract text changed", "en abstract text changed"} <= set(outcome.changes)
    # A shorter file drops the papers it no longer lists (they came only from it).
    dropped = imported(100, seed=1, name=large_digest(120)[1])
    assert states(dropped) == {UNCHANGED: 100} and dropped.summaries_deleted == 40
    assert Paper.objects.count() == 100 and not Paper.objects.filter(arxiv_id=arxiv_id(110)).exists()
    assert Summary.history.filter(history_type="-").count() == 40


def import_samples_and_seeds() -> None:
    """Our demo digests, and the real seeds where ../shared/seeds is present."""
    paths = sorted(SAMPLES.glob("*.txt")) + (sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else [])
    for path in paths:
        result = import_digest(path.read_bytes(), path.name)
        assert result.ok, (path, result.errors)


def test_derived_columns_after_imports_equal_a_full_refresh():
    """The importer refreshes only the papers it changed; a full refresh afterwards must change nothing."""
    import_samples_and_seeds()
    imported(150)
    imported(150, seed=1)  # corrected
    imported(80, seed=2, first_id=100, name="overlapping.txt")  # half known, half new
    imported(150, seed=1)  # identical again
    before = snapshot()["papers"]
    refresh_all()
    assert snapshot()["papers"] == before


# -- refresh_papers gives what its straightforward definition gives ------------------------------------------

_WEIGHTS = {"title": "a", "abstract": "c", "summary": "c"}


def reference_derived(paper: Paper) -> tuple:
    """The derived columns of one paper computed the plain way (index_text of each joined document, one
    paper at a time), as refresh_papers computed them before it was optimised."""
    documents = {"a": [paper.title, paper.arxiv_id or ""], "b": [], "c": [], "d": []}
    authorships = paper.authorships.order_by("position").select_related("author")
    documents["b"] += [authorship.author.name for authorship in authorships]
    documents["b"] += list(paper.categories.order_by("code").values_list("code", flat=True))
    summaries = paper.summaries.filter(visibility=Visibility.PUBLISHED).order_by("pk")
    for summary in summaries:
        documents[_WEIGHTS.get(summary.kind, "d")].append(summary.text)
    texts = [index_text("\n".join(part for part in documents[key] if part)) for key in "abcd"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (setweight(to_tsvector('english', %s), 'A') || setweight(to_tsvector('english', %s), 'B')"
            " || setweight(to_tsvector('english', %s), 'C')"
            " || setweight(to_tsvector('english', %s), 'D'))::text",
            texts,
        )
        vector = cursor.fetchone()[0]
    entries = paper.entries.select_related("digest")
    scores = [
        min(score.value / SCORE_SCALES[score.kind], 1.0)
        for score in paper.scores.all()
        if score.kind in SCORE_SCALES
    ]
    return (
        vector,
        sorted({summary.language for summary in summaries}),
        entries.count(),
        paper.links.filter(kind="code").exists(),
        max(scores) if scores else None,
        sorted(paper.categories.values_list("pk", flat=True).distinct()),
        sorted(set(paper.authorships.values_list("author_id", flat=True))),
        sorted({entry.digest.source_id for entry in entries}),
        sorted({entry.digest_id for entry in entries}),
    )


def stored_derived(paper: Paper) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_vector::text, languages, digest_count, has_code, editorial_score, category_ids,"
            " author_ids, source_ids, digest_ids FROM papers_paper WHERE id = %s",
            [paper.pk],
        )
        return cursor.fetchone()


TRICKY_PARTS = [
    "ｶ",  # half-width katakana ...
    "ﾞ続き",  # ... and a voiced sound mark starting the next part: NFKC must not join them across parts
    "\u0301accent",  # a combining mark at the start of a part
    "e",
    "한\u1161국",  # Hangul syllable, then a lone jamo
    "ＧＰＴ-4の推論",  # full-width ASCII next to kana
    "end 記憶",  # a CJK run at the end of a part ...
    "記憶 start",  # ... and at the start of the next
    "nul\x00inside",
    "lone \ud800 surrogate",
    "①② ｷｬｯﾁ",
    "",
    "   ",
    "plain ascii only",
]


def test_index_text_part_by_part_equals_index_text_of_the_joined_text():
    for start in range(len(TRICKY_PARTS)):
        parts = [part for part in TRICKY_PARTS[start:] + TRICKY_PARTS[:start] if part]
        assert "\n".join(map(index_text, parts)) == index_text("\n".join(parts)), parts
    # index_text's ASCII shortcut gives what its full path gives: "。" (kept as is, next to no CJK run)
    # sends the same text down the full path.
    for part in TRICKY_PARTS:
        if part.isascii():
            assert index_text(part) + "。" == index_text(part + "。"), part


def test_refresh_papers_gives_what_the_plain_definition_gives():
    import_samples_and_seeds()
    imported(40)
    tricky = Paper.objects.get(arxiv_id=arxiv_id(3))
    entry = tricky.entries.get()
    for position, part in enumerate(part for part in TRICKY_PARTS if part.strip()):
        text = part.replace("\x00", "").replace("\ud800", "")  # what PostgreSQL text can hold
        language = "x" + "abcdefghijklmnopqrstuvwxyz"[position]
        Summary.objects.create(paper=tricky, entry=entry, language=language, kind="results", text=text)
    Summary.objects.create(paper=tricky, entry=None, language="ja", kind="summary", text="ｶ")
    Summary.objects.create(paper=tricky, language="ja", kind="analysis", text="ﾞ隠す", visibility="hidden")
    refresh_papers(Paper.objects.values_list("pk", flat=True))
    papers = list(Paper.objects.all())
    assert len(papers) >= 40
    for paper in papers:
        reference = reference_derived(paper)
        stored = stored_derived(paper)
        assert stored[0] == reference[0], paper.title
        assert (sorted(stored[1]), *stored[2:]) == reference[1:], paper.title


# -- locks --------------------------------------------------------------------------------------------------


def test_twenty_thousand_keys_can_be_locked():
    """A 10,000-paper digest has two keys per paper: more advisory locks than the lock table holds."""
    with transaction.atomic():
        lock_keys([f"title:paper {number}" for number in range(20_000)])


def blocked(keys: list[str]) -> bool:
    """Whether another session has to wait for lock_keys(keys)."""
    outcome = {}

    def attempt() -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '300ms'")
                lock_keys(keys)
            outcome["blocked"] = False
        except OperationalError as error:
            outcome["blocked"] = "lock timeout" in str(error)
        finally:
            connection.close()

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join(timeout=30)
    return outcome["blocked"]


@pytest.mark.django_db(transaction=True)
def test_more_keys_than_the_limit_lock_the_whole_catalogue(monkeypatch):
    monkeypatch.setattr(locks, "MAX_KEY_LOCKS", 10)
    many = [f"title:k{number}" for number in range(11)]
    with transaction.atomic():
        lock_keys(many)
        assert blocked(["title:something else"]) and blocked(many)
    assert not blocked(["title:something else"])
    with transaction.atomic():
        lock_keys(["title:a", "arxiv:1"])
        assert blocked(["title:a"]) and blocked(many)
        assert not blocked(["title:b"])  # disjoint small sets run side by side


@pytest.mark.django_db(transaction=True)
def test_concurrent_large_and_small_overlapping_imports_create_no_duplicates(monkeypatch):
    monkeypatch.setattr(locks, "MAX_KEY_LOCKS", 20)  # the 30-paper file locks the catalogue, the others keys
    files = [large_digest(30), large_digest(4, seed=1, first_id=3), large_digest(4, seed=2, first_id=26)]
    files.append(large_digest(5, seed=3, first_id=28))  # half outside the large file
    barrier = threading.Barrier(len(files))
    results = {}

    def run(data: bytes, name: str) -> None:
        try:
            barrier.wait()
            results[name] = import_digest(data, name)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=file) for file in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(result.ok for result in results.values()), {n: r.errors for n, r in results.items()}
    assert Paper.objects.count() == 33
    assert Paper.objects.get(arxiv_id=arxiv_id(28)).entries.count() == 3
    assert len(set(Paper.objects.values_list("arxiv_id", flat=True))) == 33
