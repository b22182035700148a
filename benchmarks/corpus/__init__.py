"""A synthetic but realistic catalogue for benchmarks: ``python manage.py generate_corpus``.

What it looks like, and why:

* Papers from 2019 to late 2026, more every year; arXiv ids ``YYMM.NNNNN`` numbered within their month in
  date order, as arXiv does; about 2% without an arXiv id (matched by title, slug from the title).
* Authors with a long-tailed productivity (Lotka's law: a Pareto weight per author, capped, so a few
  authors sign hundreds of papers and most one or two), 2–12 per paper.
* arXiv categories from ``papers.ingest.categories``: the home category of the paper's task first, then
  cross-lists weighted towards cs.LG, cs.AI and stat.ML; 1–4 per paper.
* Digests of 5–50 entries from the four sources the importer knows (same slugs and names), filled in
  date order; most papers are in one digest, some in two or three (each from another source, as a
  paper appears once per digest). Each entry brings the summaries its family carries (arxiv.jp a
  Japanese abstract, the Chinese digest a zh summary and title and a reading score, …), 1–4 per paper,
  in ja/zh/ko/en, every one pointing at its digest entry as the importer's do.
* Text is written from templates and a table of real ML concepts in four languages, so that Japanese
  has kana and kanji, Chinese is Han, Korean is Hangul with the right particles, and the same concept
  appears in every language of a paper. Concepts are drawn with Zipf weights (some common, some rare);
  the concepts that contain :data:`BENCH_TERMS` are only a paper's main topic, with weights set so that
  each bench term hits 1–5% of papers in its language.

How it is written, and why (1M papers, ~3M summaries on two cores):

* A plan decides every row's ids and relations first (dates, arXiv ids, authors, digests, entries,
  which summaries each entry brings, links, scores), deterministically for the seed. Texts are written
  later, chunk by chunk of papers, each chunk from its own random stream: the same seed gives the same
  corpus whatever the number of worker processes.
* Rows go in with COPY. Each paper's derived columns (search vector, languages, facet id arrays…) are
  computed while it is written: the documents refresh_papers would build are copied into a temporary
  table and turned into columns by the index refresh's own SQL expressions
  (``papers.search.index.DERIVED_COLUMNS``, in an INSERT … SELECT, so no row is written twice).
  tests/test_generate_corpus.py proves that ``refresh_all()`` then changes nothing.
* Outside a transaction, two forked worker processes write chunks through their own connections while
  the parent writes authors and digests beside them; foreign-key triggers are skipped
  (``session_replication_role = replica``, where the role may set it) because the rows are consistent
  by construction; commits are asynchronous. Inside a transaction (tests) one connection writes
  everything and the deferred foreign-key checks run as usual.
* Where the time goes (1M papers): about two thirds in PostgreSQL, mostly ``to_tsvector`` on ~2 kB of
  bigram text per paper and the GIN index on the search vector; the rest is Python (texts, CJK
  bigrams, COPY). Indexes are kept during the load: see the note above the VACUUM (generate.py).

The modules, in the order a run uses them: ``vocabulary`` and ``templates`` (the words and sentences),
``draws`` (weighted random draws), ``texts`` (one paper's texts and authors' names), ``plan`` (every row
decided up front), ``writer`` (COPY and the derived columns), ``generate`` (the run: workers, sequences,
VACUUM).
"""
