"""The plan: every row's ids and relations, decided up front for a seed (texts are written later, chunk
by chunk of papers, each chunk from its own random stream)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from benchmarks.corpus.draws import Weighted
from benchmarks.corpus.texts import Topic, author_names, draw_topics, write_title
from benchmarks.corpus.vocabulary import DATASETS, TASK_CATEGORY
from papers.identifiers import match_key
from papers.ingest.categories import ARXIV_CATEGORY_NAMES

FIRST_DAY = date(2019, 1, 1)
LAST_DAY = date(2026, 11, 15)
YEARLY_GROWTH = 1.3  # each year has 30% more papers than the one before
CHUNK = 2000  # papers per write batch; also the unit of random streams for texts (fixed: determinism)

AUTHORS_PER_PAPER = Weighted(range(2, 13), (8, 14, 17, 16, 13, 10, 7, 5, 4, 3, 3))
CATEGORIES_PER_PAPER = Weighted(range(1, 5), (30, 40, 20, 10))
SUMMARIES_PER_PAPER = Weighted(range(1, 5), (10, 20, 30, 40))
DIGESTS_PER_PAPER = Weighted(range(1, 4), (85, 12, 3))
# Cross-listed categories: cs.LG and cs.AI take most, then the big application areas, then the long tail.
_CROSS_LIST = {"cs.LG": 45, "cs.AI": 25, "stat.ML": 9, "cs.CL": 8, "cs.CV": 8, "cs.RO": 2, "cs.IR": 1.5}
CROSS_LISTS = Weighted(
    list(ARXIV_CATEGORY_NAMES), [_CROSS_LIST.get(code, 0.35) for code in ARXIV_CATEGORY_NAMES]
)


@dataclass(frozen=True)
class SourceProfile:
    """One digest family as the importer knows it (papers.ingest.families.SOURCES), and what its
    entries carry."""

    family: str
    share: float  # of papers' first digest
    sizes: tuple[int, int]  # entries per digest
    kinds: tuple[tuple[tuple[str, str], ...], ...]  # (language, kind) lists; an entry takes a prefix
    score: tuple[str, float] | None  # (kind, share of entries) of editorial scores
    english_abstract: bool  # whether its entries quote the English abstract


SOURCE_PROFILES = (
    SourceProfile(
        "arxiv_jp",
        0.30,
        (20, 50),
        ((("ja", "abstract"), ("ja", "title"), ("en", "summary"), ("ja", "summary")),),
        None,
        True,
    ),
    SourceProfile(
        "pytorchkr",
        0.20,
        (8, 15),
        (
            (("ko", "summary"), ("ko", "title"), ("en", "summary"), ("ko", "abstract")),
            (("ko", "title"), ("en", "summary"), ("ko", "summary"), ("en", "abstract")),
        ),
        None,
        True,
    ),
    SourceProfile(
        "zh_digest",
        0.30,
        (5, 30),
        (
            (("zh", "summary"), ("zh", "title"), ("zh", "analysis"), ("zh", "abstract")),
            (("zh", "title"), ("zh", "abstract"), ("zh", "method"), ("zh", "results")),
        ),
        ("reading_index", 0.85),
        False,
    ),
    SourceProfile(
        "ronbun_gaiyou",
        0.20,
        (5, 30),
        ((("ja", "summary"), ("ja", "title"), ("ja", "abstract"), ("ja", "contributions")),),
        ("reference_score", 0.8),
        True,
    ),
)


@dataclass
class DigestPlan:
    source: int  # index into SOURCE_PROFILES; source id = index + 1
    number: int  # 1, 2, … within its source
    issued: date
    entries: list[int]  # paper indexes in order
    id: int = 0


@dataclass
class Plan:
    """Every row's ids and relations. Papers are indexed 0…n-1 (id = index + 1) in date order."""

    papers: int
    seed: int
    # Papers per write batch and per random stream of texts: CHUNK when planned, carried here so that
    # the writers and forked workers use the value the texts were planned with.
    chunk_size: int
    published: list[date]
    arxiv_ids: list[str | None]
    # Topic and title of the papers without an arXiv id (identified by their title: kept distinct here);
    # the others' are drawn with their texts, chunk by chunk.
    fixed_titles: dict[int, tuple[Topic, str]]
    hidden: list[bool]
    category_codes: list[str]  # category id - 1 -> code
    category_counts: list[int]  # categories per paper
    author_names: list[str]  # author id - 1 -> name
    paper_authors: list[list[int]]  # author ids in order
    digests: list[DigestPlan]  # by id
    paper_entries: list[list[tuple[int, int, int]]]  # (entry id, digest id, position), by digest id
    # (entry id, language, kind, published?) per paper, in summary id order
    paper_summaries: list[list[tuple[int, str, str, bool]]]
    first_summary_id: list[int]
    link_kinds: list[tuple[str, ...]]  # the kinds of a paper's links ("paper", "code", "project")
    paper_scores: list[list[tuple[int, int, str, float]]]  # (source id, entry id, kind, value)
    related: list[tuple[int, int, int, int, float]]  # (paper id, related id, entry id, position, score)

    def chunks(self) -> range:
        return range(0, self.papers, self.chunk_size)

    @property
    def entry_count(self) -> int:
        return sum(len(digest.entries) for digest in self.digests)

    @property
    def summary_count(self) -> int:
        return self.first_summary_id[-1] - 1


def _dates(count: int, rng: random.Random) -> list[date]:
    years = range(FIRST_DAY.year, LAST_DAY.year + 1)
    spans = {year: (max(FIRST_DAY, date(year, 1, 1)), min(LAST_DAY, date(year, 12, 31))) for year in years}
    weights = [YEARLY_GROWTH**i * ((spans[y][1] - spans[y][0]).days + 1) / 365 for i, y in enumerate(years)]
    pick = Weighted(years, weights)
    days = []
    for _ in range(count):
        start, end = spans[pick.draw(rng)]
        days.append(start + timedelta(days=rng.randrange((end - start).days + 1)))
    days.sort()
    return days


def _arxiv_ids(published: list[date], rng: random.Random) -> list[str | None]:
    """``YYMM.NNNNN``: distinct numbers within each month, rising with the date, as arXiv assigns them;
    about 2% of papers (workshop and journal papers) have none."""
    ids: list[str | None] = [None] * len(published)
    by_month: dict[tuple[int, int], list[int]] = {}
    for index, day in enumerate(published):
        if rng.random() >= 0.02:
            by_month.setdefault((day.year, day.month), []).append(index)
    for (year, month), indexes in by_month.items():
        # arXiv's monthly volume (all subjects) grows from ~13k in 2019; ML is a part of it.
        capacity = max(len(indexes) + 50, int(13000 * 1.1 ** (year - 2019)))
        if capacity > 99999:
            raise ValueError(f"too many papers in {year}-{month:02d} for five-digit arXiv numbers")
        numbers = sorted(rng.sample(range(1, capacity + 1), len(indexes)))
        for index, number in zip(indexes, numbers, strict=True):
            ids[index] = f"{year % 100:02d}{month:02d}.{number:05d}"
    return ids


def _titles_without_arxiv_id(arxiv_ids: list[str | None], rng: random.Random) -> dict[int, tuple[Topic, str]]:
    """Topic and title of each paper without an arXiv id, distinct (such papers are matched by title)."""
    indexes = [index for index, arxiv_id in enumerate(arxiv_ids) if arxiv_id is None]
    fixed: dict[int, tuple[Topic, str]] = {}
    seen: set[str] = set()
    for index, topic in zip(indexes, draw_topics(rng, len(indexes)), strict=True):
        title = write_title(rng, topic)
        while match_key(title) in seen:
            title = f"{title.rstrip('?')}: Evidence from {rng.choice(DATASETS)} ({rng.randint(2, 999)})"
        seen.add(match_key(title))
        fixed[index] = (topic, title)
    return fixed


CATEGORY_CODES = sorted(ARXIV_CATEGORY_NAMES)  # ids in code order, like an importer seeing them all at once
_CATEGORY_ID = {code: number for number, code in enumerate(CATEGORY_CODES, start=1)}


def _paper_categories(topic: Topic, count: int, rng: random.Random) -> list[int]:
    """The home category of the paper's task first, then cross-lists."""
    chosen = [TASK_CATEGORY[topic.task.en]]
    while len(chosen) < count:
        code = CROSS_LISTS.draw(rng)
        if code not in chosen:
            chosen.append(code)
    return [_CATEGORY_ID[code] for code in chosen]


def _authors(count: int, rng: random.Random) -> tuple[list[str], list[list[int]]]:
    """Lotka's law: each candidate author gets a Pareto-distributed productivity (capped), and author slots
    are filled in proportion to it. Only candidates who sign something become rows, numbered in order
    of their first paper."""
    candidates = max(20, int(count * 2.5))
    weights = [min(rng.paretovariate(1.7), 500.0) for _ in range(candidates)]
    pick = Weighted(range(candidates), weights)
    wanted = AUTHORS_PER_PAPER.draws(rng, count)
    slots = pick.draws(rng, sum(wanted))
    number: dict[int, int] = {}
    per_paper = []
    start = 0
    for size in wanted:
        chosen = slots[start : start + size]
        start += size
        if len(set(chosen)) < size:  # the same person twice on one paper: draw again
            chosen = list(dict.fromkeys(chosen))
            while len(chosen) < size:
                candidate = pick.draw(rng)
                if candidate not in chosen:
                    chosen.append(candidate)
        per_paper.append([number.setdefault(candidate, len(number) + 1) for candidate in chosen])
    return author_names(len(number), rng), per_paper


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """``total`` as ``parts`` positive integers."""
    sizes = [1] * parts
    for _ in range(total - parts):
        sizes[rng.randrange(parts)] += 1
    return sizes


def _digests(
    entries_by_source: list[list[int]], published: list[date], rng: random.Random
) -> list[DigestPlan]:
    """Each source's entries in date order, cut into digests of its usual size (5–50 entries)."""
    digests = []
    for source, papers in enumerate(entries_by_source):
        low, high = SOURCE_PROFILES[source].sizes
        papers.sort()  # paper indexes are in date order
        start, number = 0, 0
        while start < len(papers):
            rest = len(papers) - start
            size = rng.randint(low, high)
            if rest <= high:
                size = rest
            elif rest - size < low:  # no tiny last digest: share the rest between two
                size = rest // 2
            chunk = papers[start : start + size]
            rng.shuffle(chunk)  # a digest's order is its editor's, not the papers' dates
            number += 1
            issued = published[max(chunk)] + timedelta(days=rng.randint(1, 6))
            digests.append(DigestPlan(source, number, issued, chunk))
            start += size
    digests.sort(key=lambda d: (d.issued, d.source, d.number))  # imported in the order they came out
    for digest_id, digest in enumerate(digests, start=1):
        digest.id = digest_id
    return digests


def make_plan(papers: int, seed: int) -> Plan:
    """Decide every row but the long texts. Deterministic for ``(papers, seed)``."""
    if papers < 1:
        raise ValueError("the corpus needs at least one paper")
    rng = random.Random(f"corpus-plan/{seed}")
    published = _dates(papers, rng)
    arxiv_ids = _arxiv_ids(published, rng)
    fixed_titles = _titles_without_arxiv_id(arxiv_ids, rng)
    hidden = [rng.random() < 0.005 for _ in range(papers)]
    category_counts = CATEGORIES_PER_PAPER.draws(rng, papers)
    author_names_, paper_authors = _authors(papers, rng)

    # Which sources list each paper (distinct: a paper is in a digest once), and how many summaries each
    # of its entries brings (1–4 per paper in all).
    first_source = Weighted(range(len(SOURCE_PROFILES)), [p.share for p in SOURCE_PROFILES])
    paper_sources: list[list[tuple[int, int, int]]] = []  # (source, summaries, kind list) per entry
    entries_by_source: list[list[int]] = [[] for _ in SOURCE_PROFILES]
    for index in range(papers):
        summaries = SUMMARIES_PER_PAPER.draw(rng)
        count = min(DIGESTS_PER_PAPER.draw(rng), summaries)
        sources: list[int] = []
        while len(sources) < count:
            source = first_source.draw(rng)
            if source not in sources:
                sources.append(source)
        sizes = _split(summaries, count, rng)
        paper_sources.append(
            [
                (s, n, rng.randrange(len(SOURCE_PROFILES[s].kinds)))
                for s, n in zip(sources, sizes, strict=True)
            ]
        )
        for source in sources:
            entries_by_source[source].append(index)
    digests = _digests(entries_by_source, published, rng)

    # (paper, source) -> (entry id, digest id, position)
    entry_of: dict[tuple[int, int], tuple[int, int, int]] = {}
    entry_id = 0
    for digest in digests:
        for position, paper in enumerate(digest.entries, start=1):
            entry_id += 1
            entry_of[paper, digest.source] = (entry_id, digest.id, position)

    paper_entries, paper_summaries, paper_scores = [], [], []
    first_summary_id = [1]
    related: list[tuple[int, int, int, int, float]] = []
    for index in range(papers):
        by_digest = sorted(
            (entry_of[index, source], source, count, variant)
            for source, count, variant in paper_sources[index]
        )
        paper_entries.append([entry for entry, *_ in by_digest])
        summaries, scores = [], []
        for (entry_id, _digest_id, _position), source, count, variant in by_digest:
            profile = SOURCE_PROFILES[source]
            for language, kind in profile.kinds[variant][:count]:
                summaries.append((entry_id, language, kind, rng.random() >= 0.003))
            if profile.score and rng.random() < profile.score[1]:
                kind = profile.score[0]
                value = (
                    rng.choice((2.0, 2.5, 3.0, 3.0, 3.5, 3.5, 4.0, 4.0, 4.5, 5.0))
                    if kind == "reading_index"
                    else float(rng.randint(35, 100))
                )
                scores.append((source + 1, entry_id, kind, value))
            if profile.family == "ronbun_gaiyou" and index > 0 and rng.random() < 0.3:
                picks = {index - rng.randint(1, min(index, 5000)) for _ in range(rng.randint(1, 3))}
                for position, other in enumerate(sorted(picks), start=1):
                    related.append(
                        (index + 1, other + 1, entry_id, position, round(rng.uniform(0.5, 0.99), 3))
                    )
        paper_summaries.append(summaries)
        first_summary_id.append(first_summary_id[-1] + len(summaries))
        paper_scores.append(scores)
    return Plan(
        papers=papers,
        seed=seed,
        chunk_size=CHUNK,
        published=published,
        arxiv_ids=arxiv_ids,
        fixed_titles=fixed_titles,
        hidden=hidden,
        category_codes=CATEGORY_CODES,
        category_counts=category_counts,
        author_names=author_names_,
        paper_authors=paper_authors,
        digests=digests,
        paper_entries=paper_entries,
        paper_summaries=paper_summaries,
        first_summary_id=first_summary_id,
        link_kinds=[_link_kinds(arxiv_id, rng) for arxiv_id in arxiv_ids],
        paper_scores=paper_scores,
        related=related,
    )


def _link_kinds(arxiv_id: str | None, rng: random.Random) -> tuple[str, ...]:
    """An arXiv link on most papers that have an id, code on ~30%, a project page on some."""
    kinds = ("paper",) if arxiv_id and rng.random() < 0.6 else ()
    if rng.random() < 0.3:
        kinds += ("code",)
    if rng.random() < 0.05:
        kinds += ("project",)
    return kinds


def _link_url(kind: str, arxiv_id: str | None, topic: Topic, first_author: str, rng: random.Random) -> str:
    if kind == "paper":
        return f"https://arxiv.org/abs/{arxiv_id}"
    if kind == "code":
        suffix = rng.choice(("", "-lab", "-group", "ai", str(rng.randint(1, 99))))
        return f"https://github.com/{first_author.split()[-1].lower()}{suffix}/{topic.name.lower()}"
    return f"https://{topic.name.lower()}.github.io/"


@dataclass(frozen=True)
class PaperContent:
    topic: Topic
    title: str
    category_ids: list[int]
    links: list[tuple[str, str]]  # (kind, url)


def chunk_contents(plan: Plan, chunk: int) -> tuple[random.Random, list[PaperContent]]:
    """What a chunk's papers are about (drawn here, in parallel workers, rather than in the plan) and the
    chunk's random stream, which then writes their texts."""
    start, stop = chunk * plan.chunk_size, min((chunk + 1) * plan.chunk_size, plan.papers)
    rng = random.Random(f"corpus-text/{plan.seed}/{chunk}")
    contents = []
    for index, topic in zip(range(start, stop), draw_topics(rng, stop - start), strict=True):
        if index in plan.fixed_titles:
            topic, title = plan.fixed_titles[index]
        else:
            title = write_title(rng, topic)
        first_author = plan.author_names[plan.paper_authors[index][0] - 1]
        links = [
            (kind, _link_url(kind, plan.arxiv_ids[index], topic, first_author, rng))
            for kind in plan.link_kinds[index]
        ]
        contents.append(
            PaperContent(topic, title, _paper_categories(topic, plan.category_counts[index], rng), links)
        )
    return rng, contents
