"""Issue 12, ingestion side: what a digest may carry that must never reach the catalogue or crash an import.

- category lists are split on every separator digests use and each code checked against arXiv's shape;
- control characters, noncharacters and lone surrogates are removed once, when text is decoded or cleaned;
- a malformed URL is a line-numbered warning in every parser, never an exception;
- old-style arXiv ids are normalised, and a row the database refuses is a clear message, not its SQL error.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import CheckConstraint
from hypothesis import example, given
from hypothesis import strategies as st

from papers.identifiers import is_category_code
from papers.ingest import arxiv_jp, pytorchkr, ronbun_gaiyou, zh_digest
from papers.ingest.categories import split_category_codes
from papers.ingest.decode import decode_bytes
from papers.ingest.families import ReadDigest, read_digest
from papers.ingest.html import html_to_text
from papers.ingest.importer import api as importer_api
from papers.ingest.importer import checks as import_checks
from papers.ingest.importer import import_digest
from papers.ingest.parsed import ParsedDigest, ParsedPaper, ParsedRelated, ParsedSummary
from papers.ingest.text import arxiv_id_from_url, clean_text, find_arxiv_id, normalize_arxiv_id
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
    Summary,
)
from tests.fuzzing import fuzz

# --- our own small digests, one per family ---------------------------------------------------------------


def arxiv_jp_text(categories: str = "cs.AI, cs.LG", title: str = "Sparse Routing for Tiny Experts") -> str:
    return (
        f"{title}\n"  # line 1
        "要約\n"
        "小さな専門家モデルを疎に選ぶ方法を提案する。\n"
        "要約(オリジナル)\n"
        "We propose a sparse routing method for tiny experts.\n"  # line 5
        "arxiv情報\n"
        "著者 Hana Mori, Ken Ito\n"
        "発行日 2024-03-01 10:00:00+00:00\n"
        "arxivサイト arxiv_id(pdf) <https://[arxiv.org/pdf/2403.01234>\n"  # line 9
        "提供元, 利用サービス\n"
        "arxiv.jp, Google\n"
        f"カテゴリー: {categories} | コメントする\n"  # line 12
    )


PYTORCHKR = (
    "[2024/03/04 ~ 03/10] 今週の主要なML論文 (Top ML Papers of the Week)\n"
    "小さな専門家の疎なルーティング / Sparse Routing for Tiny Experts\n"
    "論文紹介\n"
    "小さな専門家モデルを疎に選ぶ方法を提案しています。\n"
    "We propose a sparse routing method for tiny experts.\n"  # line 5
    "論文リンク\n"
    "https://arxiv.org/abs/2403.01234\n"
    "さらに読む\n"
    "https://[github.com/example/tiny-experts\n"  # line 9
    "https://github.com/example/tiny-experts-kit\n"
    "原文\n"
    "https://example.org/weekly\n"
    "この記事はGPTモデルで整理したテスト用の文章です。\n"
)

ZH_DIGEST = (
    "1. Sparse Routing for Tiny Experts\n"
    "H Mori, K Ito - arXiv preprint arXiv:2403.01234, 2024\n"
    "https://arxiv.org/pdf/2403.01234\n"
    "https://[github.com/example/tiny-experts\n"  # line 4
    "小专家的稀疏路由\n"
    "摘要: 本文提出为小型专家模型进行稀疏路由的方法。\n"
    "推荐阅读指数: 3.5\n"
    "分析总结: 方法简单,值得一读。\n"
    "后记\n"
)


def ronbun_text(arxiv_url: str = "https://arxiv.org/abs/2403.01234v1", score: str = "12.5") -> str:
    return (
        "論文の概要: Sparse Routing for Tiny Experts\n"
        f"- arxiv url: {arxiv_url}\n"  # line 2
        "- Title: Sparse Routing for Tiny Experts\n"
        "- Authors: Hana Mori, Ken Ito\n"
        f"- 参考スコア(独自算出の注目度): {score}\n"  # line 5
        "- Abstract: We propose a sparse routing method for tiny experts.\n"
    )


def warnings_on(parsed: ParsedDigest, line: int) -> list[str]:
    return [warning.message for warning in parsed.warnings if warning.line == line]


# --- 1. category codes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("cs.AI, cs.LG/stat.ML", ["cs.AI", "cs.LG", "stat.ML"]),
        ("cs.AI;cs.LG", ["cs.AI", "cs.LG"]),
        ("cs.AI cs.LG\tstat.ML", ["cs.AI", "cs.LG", "stat.ML"]),
        ("cs.AI、cs.CL，cs.LG／stat.ML；math.OC", ["cs.AI", "cs.CL", "cs.LG", "stat.ML", "math.OC"]),
        ("cs.AI\u3000cs.LG｜stat.ML", ["cs.AI", "cs.LG", "stat.ML"]),
        ("hep-th, cond-mat.dis-nn, q-bio.NC", ["hep-th", "cond-mat.dis-nn", "q-bio.NC"]),
        ("physics.comp-ph, astro-ph.GA, solv-int", ["physics.comp-ph", "astro-ph.GA", "solv-int"]),
        (
            "gr-qc, physics.ed-ph, cond-mat.soft, math-ph",
            ["gr-qc", "physics.ed-ph", "cond-mat.soft", "math-ph"],
        ),
        ("cs.LG, cs.LG / cs.LG", ["cs.LG"]),
        ("ｃｓ．ＬＧ", ["cs.LG"]),
        (" , / ", []),
    ],
)
def test_category_lists_are_split_on_every_separator(text, codes):
    assert split_category_codes(text) == (codes, [])


@pytest.mark.parametrize(
    "piece",
    [
        "機械学習",
        "<cs.LG>",
        "cs.LG)",
        "cs..LG",
        "cs.L",
        "cs.LGX",
        ".LG",
        "cs.LG.",
        "a",
        "123",
        "x-",
        "CS.LG",
    ],
)
def test_pieces_that_are_not_arxiv_codes_are_rejected(piece):
    codes, rejected = split_category_codes(f"cs.AI, {piece}")
    assert codes == ["cs.AI"]
    assert rejected == [piece]
    assert not is_category_code(piece)


def test_a_code_longer_than_the_column_is_rejected():
    code = "cond-mat." + "a" * 40
    assert split_category_codes(code) == ([], [code])


def test_arxiv_jp_splits_a_slashed_category_line_and_warns_about_the_rest():
    parsed = arxiv_jp.parse(arxiv_jp_text("cs.AI, cs.LG/stat.ML, 機械学習"))
    assert parsed.papers[0].categories == ["cs.AI", "cs.LG", "stat.ML"]
    assert any("機械学習" in message for message in warnings_on(parsed, 12))


@pytest.mark.django_db
def test_importing_a_slashed_category_line_stores_each_code_and_previews_the_warning():
    data = arxiv_jp_text("cs.AI, cs.LG/stat.ML, 機械学習").encode()
    preview = import_digest(data, "slashed.txt", dry_run=True)
    assert preview.ok, preview.errors
    assert any(w.startswith("line 12: ") and "'機械学習'" in w for w in preview.warnings)
    result = import_digest(data, "slashed.txt")
    assert result.ok, result.errors
    assert sorted(Paper.objects.get().categories.values_list("code", flat=True)) == [
        "cs.AI",
        "cs.LG",
        "stat.ML",
    ]
    assert sorted(Category.objects.values_list("code", flat=True)) == ["cs.AI", "cs.LG", "stat.ML"]


@pytest.mark.django_db
def test_the_importer_refuses_codes_a_parser_let_through(monkeypatch):
    parsed = ParsedDigest(family=arxiv_jp.FAMILY)
    parsed.papers.append(
        ParsedPaper(title="Sparse Routing for Tiny Experts", line=4, categories=["cs.LG/stat.ML", "cs.AI"])
    )
    monkeypatch.setattr(importer_api, "read_digest", lambda data: ReadDigest(parsed, "utf-8", was_html=False))
    result = import_digest(b"anything", "handmade.txt")
    assert result.ok, result.errors
    assert list(Paper.objects.get().categories.values_list("code", flat=True)) == ["cs.AI"]
    assert any(w.startswith("line 4: ") and "'cs.LG/stat.ML'" in w for w in result.warnings)


@pytest.mark.django_db
def test_a_category_code_outside_arxivs_shape_cannot_be_saved_by_any_path():
    with pytest.raises(ValidationError):
        Category(code="cs.LG/stat.ML").full_clean()  # admin forms run the model's validators
    Category(code="cond-mat.dis-nn").full_clean()
    assert not is_category_code("cs.LG\n")  # Python's "$" alone would let it through, PostgreSQL's not
    with pytest.raises(IntegrityError), transaction.atomic():  # the database itself refuses it
        Category.objects.create(code="cs.LG/stat.ML")


@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_codes_stored_before_the_rule_into_the_codes_they_list():
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    # Found by name, so that renumbering the migration keeps the test.
    rule = next(key for key in graph.nodes if key[0] == "papers" and key[1].endswith("_category_code_format"))
    [before] = [parent.key for parent in graph.node_map[rule].parents if parent.key[0] == "papers"]
    latest = graph.leaf_nodes("papers")
    executor.migrate([before])
    old = executor.loader.project_state([before]).apps
    paper = old.get_model("papers", "Paper").objects.create(title="T", title_key="t", slug="t")
    category = old.get_model("papers", "Category")
    paper.categories.add(
        category.objects.create(code="cs.LG/stat.ML"),
        category.objects.create(code="cs.LG"),
        category.objects.create(code="機械学習"),
    )
    MigrationExecutor(connection).migrate(latest)
    paper = Paper.objects.get()
    codes = dict(Category.objects.values_list("code", "name"))
    assert codes == {"cs.LG": "", "stat.ML": "Machine Learning (Statistics)"}
    assert sorted(paper.categories.values_list("code", flat=True)) == ["cs.LG", "stat.ML"]
    assert paper.category_ids == sorted(Category.objects.values_list("pk", flat=True))


# --- 2. control characters, noncharacters, lone surrogates -----------------------------------------------

UNSTORABLE = [chr(c) for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)] if c != 0x0D]
UNSTORABLE += [chr(c) for c in range(0xFDD0, 0xFDF0)]
UNSTORABLE += [chr(plane << 16 | low) for plane in range(17) for low in (0xFFFE, 0xFFFF)]
SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff"]


def assert_clean(text: str) -> None:
    bad = [f"U+{ord(ch):04X}" for ch in text if ch in UNSTORABLE or "\ud800" <= ch <= "\udfff"]
    assert not bad, bad


def test_decoding_removes_controls_and_noncharacters_but_keeps_tab_and_newline():
    prose = "A line of ordinary text long enough for a few stray characters.\n" * 2
    raw = "Title\x0b with\x1b controls\x01\x7f\x85\n本文\tと\ufffe\uffff\ufdd0\U0001fffe\U0010ffff終わり\n"
    assert decode_bytes((raw + prose).encode()).text == "Title with controls\n本文\tと終わり\n" + prose


def test_binary_detection_still_counts_the_controls_it_then_removes():
    with pytest.raises(Exception, match="control characters"):
        decode_bytes(b"\x01\x02\x03\x1b" * 30 + b"some text")
    text = "a" * 100 + "\x1b\x01"  # 2% controls: text with a few strays, accepted and cleaned
    assert decode_bytes(text.encode()).text == "a" * 100


@pytest.mark.parametrize(
    "bad", ["\x0b", "\x1b", "\x01", "\x9f", "\ufffe", "\U0008ffff", "\ufdef", *SURROGATES]
)
def test_clean_text_removes_the_same_characters(bad):
    assert clean_text(f" a{bad}b\tc\n") == "ab\tc"


def test_html_character_references_cannot_smuggle_controls_in():
    text = html_to_text("<html><body><p>A&#x1b;B&#xfffe;C&#1;D&#xFDD0;E\x0bF</p></body></html>")
    assert text == "ABCDEF"


@fuzz(200)
@given(text=st.text(alphabet=st.characters(codec=None, exclude_categories=())))
@example(text="".join(UNSTORABLE + SURROGATES))
def test_clean_text_output_never_holds_an_unstorable_character(text):
    assert_clean(clean_text(text))


@fuzz(200)
@given(data=st.binary(max_size=300))
@example(data="題名\x0b\x1b\ufffe".encode() * 2 + b" ok text " * 10)
def test_decoded_text_never_holds_an_unstorable_character(data):
    try:
        decoded = decode_bytes(data)
    except ValueError:
        return
    assert_clean(decoded.text)


@pytest.mark.django_db
def test_an_imported_title_with_controls_is_stored_clean():
    title = "Sparse\x0b Routing\x1b for Tiny\x01 Experts\ufffe"
    result = import_digest(arxiv_jp_text(title=title).encode(), "controls.txt")
    assert result.ok, result.errors
    assert Paper.objects.get().title == "Sparse Routing for Tiny Experts"


# --- 4. malformed URLs -----------------------------------------------------------------------------------


def test_pytorchkr_reports_a_malformed_url_and_keeps_the_others():
    parsed = pytorchkr.parse(PYTORCHKR)
    urls = [link.url for link in parsed.papers[0].links]
    assert urls == ["https://arxiv.org/abs/2403.01234", "https://github.com/example/tiny-experts-kit"]
    assert any("https://[github.com/example/tiny-experts" in message for message in warnings_on(parsed, 9))


def test_zh_digest_reports_a_malformed_url():
    parsed = zh_digest.parse(ZH_DIGEST)
    assert [link.url for link in parsed.papers[0].links] == ["https://arxiv.org/pdf/2403.01234"]
    assert any("https://[github.com/example/tiny-experts" in message for message in warnings_on(parsed, 4))


def test_ronbun_gaiyou_reports_a_malformed_url():
    parsed = ronbun_gaiyou.parse(ronbun_text(arxiv_url="https://[arxiv.org/abs/2403.01234v1"))
    assert parsed.papers[0].links == []
    assert any("https://[arxiv.org/abs/2403.01234v1" in message for message in warnings_on(parsed, 2))


def test_arxiv_jp_reports_a_malformed_url():
    parsed = arxiv_jp.parse(arxiv_jp_text())
    assert parsed.papers[0].links == []
    assert any("https://[arxiv.org/pdf/2403.01234" in message for message in warnings_on(parsed, 9))


@pytest.mark.parametrize(
    "url",
    [
        "https://[github.com/foo",
        "https://github.com]/foo",
        "http://example.org:99999/x",
        "https://:80/x",
        "https://example\u2100.org/x",  # NFKC makes the host "examplea/c.org"
    ],
)
def test_html_pages_with_malformed_links_convert_and_the_parser_reports_the_line(url):
    html = (
        "<html><body><article>"
        + "".join(f"<p>{line}</p>" for line in PYTORCHKR.split("\n")[:8])
        + f'<p><a href="{url}">the code</a></p>'
        + "".join(f"<p>{line}</p>" for line in PYTORCHKR.split("\n")[9:])
        + "</article></body></html>"
    )
    parsed = read_digest(html.encode()).parsed
    assert url not in [link.url for link in parsed.papers[0].links]
    assert any(url in warning.message and warning.line > 1 for warning in parsed.warnings)


@pytest.mark.parametrize(
    "head",
    [
        '<link rel="canonical" href="https://[example.org/post">',
        '<meta property="og:url" content="https://[example.org/post">',
        '<base href="https://[example.org/">',
    ],
)
def test_a_malformed_page_address_leaves_relative_links_unresolved(head):
    text = html_to_text(f'<html><head>{head}</head><body><p><a href="/paper">the paper</a></p></body></html>')
    assert text == "the paper"


# --- 5. arXiv ids and refused rows -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("HEP-TH/9901002", "hep-th/9901002"),
        ("arXiv:Hep-Th/9901002v2", "hep-th/9901002"),
        ("https://arxiv.org/abs/HEP-TH/9901002", "hep-th/9901002"),
        ("https://ARXIV.ORG/pdf/Cond-Mat/0102536v1", "cond-mat/0102536"),
        ("math.GT/0309136", "math.GT/0309136"),
        ("MATH.gt/0309136v3", "math.GT/0309136"),
        ("arXiv:2406.13542V1", "2406.13542"),
        ("2406.13542", "2406.13542"),
        ("hep_th/9901002", None),
        ("not an id", None),
    ],
)
def test_arxiv_ids_are_normalised_to_what_arxiv_writes(value, expected):
    assert normalize_arxiv_id(value) == expected


def test_old_style_ids_in_urls_and_text_are_normalised():
    assert arxiv_id_from_url("see https://arxiv.org/abs/HEP-TH/9901002v2 for more") == "hep-th/9901002"
    assert find_arxiv_id("http://arxiv.org/pdf/Math.GT/0309136") == "math.GT/0309136"


@pytest.mark.django_db
def test_an_upper_case_old_style_arxiv_link_imports_as_the_lower_case_id():
    result = import_digest(
        ronbun_text(arxiv_url="https://arxiv.org/abs/HEP-TH/9901002v1").encode(), "old.txt"
    )
    assert result.ok, result.errors
    assert Paper.objects.get().arxiv_id == "hep-th/9901002"
    again = import_digest(ronbun_text(arxiv_url="arXiv:hep-th/9901002").encode(), "old-again.txt")
    assert again.ok and Paper.objects.count() == 1


@pytest.mark.parametrize("score", ["-3.5", "nan", "inf", "many"])
def test_a_negative_or_non_finite_reference_score_is_a_warning(score):
    parsed = ronbun_gaiyou.parse(ronbun_text(score=score))
    assert parsed.papers[0].scores == {}
    assert warnings_on(parsed, 5) == [f"skipped a 参考スコア that is not a number of 0 or more: {score!r}"]


def test_a_reference_score_of_zero_or_more_is_kept():
    assert ronbun_gaiyou.parse(ronbun_text(score="0")).papers[0].scores == {"reference_score": 0.0}


def handmade(monkeypatch, paper: ParsedPaper) -> None:
    parsed = ParsedDigest(family=ronbun_gaiyou.FAMILY, papers=[paper])
    monkeypatch.setattr(importer_api, "read_digest", lambda data: ReadDigest(parsed, "utf-8", was_html=False))


@pytest.mark.django_db
@pytest.mark.parametrize("arxiv_id", ["hep_th/9901002", "x" * 40 + "-y/9901002", "2406.135"])
def test_an_invalid_arxiv_id_is_an_error_naming_the_line_and_nothing_is_written(monkeypatch, arxiv_id):
    handmade(monkeypatch, ParsedPaper(title="Sparse Routing for Tiny Experts", line=7, arxiv_id=arxiv_id))
    result = import_digest(b"anything", "handmade.txt")
    assert result.errors == [
        f"paper on line 7: arXiv id {arxiv_id!r} is not valid (arXiv ids look like 2404.19756 or "
        "hep-th/9901002); nothing was written"
    ]
    assert Paper.objects.count() == Digest.objects.count() == 0


@pytest.mark.django_db
def test_the_importer_normalises_an_old_style_id_whoever_parsed_it(monkeypatch):
    related = ParsedRelated(title="Dense Routing for Huge Experts", arxiv_id="Math.gt/0309136")
    handmade(
        monkeypatch,
        ParsedPaper(
            title="Sparse Routing for Tiny Experts", line=7, arxiv_id="HEP-TH/9901002", related=[related]
        ),
    )
    result = import_digest(b"anything", "handmade.txt")
    assert result.ok, result.errors
    assert sorted(Paper.objects.values_list("arxiv_id", flat=True)) == ["hep-th/9901002", "math.GT/0309136"]


@pytest.mark.django_db
def test_an_invalid_related_arxiv_id_names_the_related_paper(monkeypatch):
    related = ParsedRelated(title="Dense Routing for Huge Experts", arxiv_id="hep_th/9901002")
    handmade(monkeypatch, ParsedPaper(title="Sparse Routing for Tiny Experts", line=7, related=[related]))
    result = import_digest(b"anything", "handmade.txt")
    assert result.errors == [
        "related paper 'Dense Routing for Huge Experts' of the paper on line 7: arXiv id 'hep_th/9901002' is "
        "not valid (arXiv ids look like 2404.19756 or hep-th/9901002); nothing was written"
    ]
    assert Paper.objects.count() == 0


@pytest.mark.django_db
def test_a_negative_score_is_an_error_naming_the_line(monkeypatch):
    handmade(monkeypatch, ParsedPaper(title="Sparse Routing for Tiny Experts", line=3, scores={"x": -1.0}))
    result = import_digest(b"anything", "handmade.txt")
    assert result.errors == [
        "paper on line 3: score x = -1 is not valid (scores are 0 or more); nothing was written"
    ]
    assert Paper.objects.count() == Score.objects.count() == 0


def test_every_check_an_import_can_meet_has_an_editors_message():
    written = (
        Paper,
        Category,
        Author,
        Authorship,
        Digest,
        DigestEntry,
        Summary,
        PaperLink,
        Score,
        RelatedPaper,
    )
    checks = {c.name for model in written for c in model._meta.constraints if isinstance(c, CheckConstraint)}
    assert checks <= set(import_checks._CHECKS)


@pytest.mark.django_db
def test_any_other_refused_row_is_a_plain_message_without_the_sql_error(monkeypatch):
    paper = ParsedPaper(
        title="Sparse Routing for Tiny Experts", line=3, summaries=[ParsedSummary("EN!", "abstract", "Text.")]
    )
    handmade(monkeypatch, paper)
    result = import_digest(b"anything", "handmade.txt")
    [error] = result.errors
    assert error.startswith("could not store the digest: ")
    assert "language" in error and "nothing was written" in error
    for leak in ("violates", "constraint", "summary_language_tag", "Failing row", "DETAIL", "papers_"):
        assert leak not in error
    assert Paper.objects.count() == Summary.objects.count() == Digest.objects.count() == 0
