"""論文の概要 parser: the seed page (004), our demo sample, an HTML-converted page and bad input.

Pure tests: no database, no Django (run with ``-p no:django``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

import pytest

from papers.identifiers import match_key
from papers.ingest import arxiv_jp, ronbun_gaiyou
from papers.ingest.parsed import ABSTRACT, SUMMARY, TITLE, DigestParseError, ParsedDigest, ParsedLink
from tests.conftest import SAMPLES, seed_text

SAMPLE_PATH = SAMPLES / "ronbun_gaiyou_sample.txt"
PAPER_SUMMARY_KINDS = [("ja", TITLE), ("ja", SUMMARY), ("en", ABSTRACT), ("ja", ABSTRACT)]
FOOTER_WORDS = ("本サイト", "関連論文リスト", "指定された論文")
PROSE = (
    "Transformers changed natural language processing.\n"
    "This paragraph is ordinary English prose: it carries no digest structure at all.\n"
)


@dataclass(frozen=True)
class ExpectedRelated:
    title: str
    score: float
    published: date
    summary_lines: int


SEED_RELATED = [
    ExpectedRelated(
        "Automatic High-quality Verilog Assertion Generation through Subtask-Focused Fine-Tuned LLMs "
        "and Iterative Prompting",
        0.0,
        date(2024, 11, 23),
        3,
    ),
    ExpectedRelated(
        "Training LLMs to Better Self-Debug and Explain Code", 36.604898865514365, date(2024, 5, 28), 3
    ),
    ExpectedRelated(
        "CodecLM: Aligning Language Models with Tailored Synthetic Data",
        51.59223474427153,
        date(2024, 4, 8),
        3,
    ),
    ExpectedRelated(
        "Fine-Tuning and Prompt Engineering for Large Language Models-based Code Review Automation",
        4.941630596191807,
        date(2024, 2, 1),
        3,
    ),
    ExpectedRelated(
        "Self-Play Fine-Tuning Converts Weak Language Models to Strong Language Models",
        52.98743860365194,
        date(2024, 1, 2),
        3,
    ),
    ExpectedRelated(
        "Tuna: Instruction Tuning using Feedback from Large Language Models",
        74.04950416204551,
        date(2023, 10, 20),
        3,
    ),
    ExpectedRelated(
        "From Quantity to Quality: Boosting LLM Performance with Self-Guided Data Selection for "
        "Instruction Tuning",
        52.257422715393574,
        date(2023, 8, 23),
        2,
    ),
    ExpectedRelated(
        "SelfEvolve: A Code Evolution Framework via Large Language Models",
        5.6607714367826105,
        date(2023, 6, 5),
        3,
    ),
    ExpectedRelated(
        "LeTI: Learning to Generate from Textual Interactions", 60.425769582343506, date(2023, 5, 17), 3
    ),
]

SAMPLE_RELATED = [
    ExpectedRelated(
        "KAN 2.0: Kolmogorov-Arnold Networks Meet Science", 58.31239450384221, date(2024, 8, 19), 2
    ),
    ExpectedRelated("Kolmogorov-Arnold Transformer", 23.750815406432935, date(2024, 9, 16), 2),
    ExpectedRelated("Wav-KAN: Wavelet Kolmogorov-Arnold Networks", 12.5, date(2024, 5, 21), 2),
]

KAN_AUTHORS = [
    "Ziming Liu",
    "Yixuan Wang",
    "Sachin Vaidya",
    "Fabian Ruehle",
    "James Halverson",
    "Marin Soljačić",
    "Thomas Y. Hou",
    "Max Tegmark",
]

# A saved page as our html_to_text renders it: indented lines, blank lines, links as "text <url>",
# each related paper its own list item with its date line apart. Written for this test.
HTML_PAGE = """
  論文の概要: KAN: Kolmogorov-Arnold Networks

- arxiv url: http://arxiv.org/abs/2404.19756v3
- Date: Tue, 30 Apr 2024 17:58:29 GMT
- Title: KAN: Kolmogorov-Arnold Networks
- Title(参考訳): KAN:コルモゴロフ・アーノルドネットワーク
- Authors: Ziming Liu <https://arxiv.org/a/liu_z_1>, Max Tegmark <https://arxiv.org/a/tegmark_m_1>,
- Abstract要約: エッジ上に学習可能な関数を持つネットワークを提案する。
- 参考スコア(独自算出の注目度): 61.2
- Abstract: A short English abstract
  that continues on a second line.
- Abstract(参考訳):
> 短い日本語の要約。
> 二行目。

関連論文リスト

- KAN 2.0: Kolmogorov-Arnold Networks Meet Science <https://fugumt.com/p/x> [58.3]
  科学のためのKAN。
  論文 <https://arxiv.org/abs/2408.10205> 参考訳(メタデータ) <https://fugumt.com/p/x> (2024-08-19T17:59:31Z)

- Kolmogorov-Arnold Transformer [23.7]
  KANを使うTransformer。
  論文 <https://arxiv.org/abs/2409.10594> 参考訳(メタデータ) <https://fugumt.com/p/y> (2024-09-16T17:54:51Z)

  指定された論文の情報(サンプル)です。
"""


def sample_text() -> str:
    return SAMPLE_PATH.read_text(encoding="utf-8")


def first_lines(text: str, count: int) -> str:
    return "\n".join(text.split("\n")[:count])


def all_summary_texts(digest: ParsedDigest) -> list[str]:
    texts = [s.text for p in digest.papers for s in p.summaries]
    return texts + [s.text for p in digest.papers for r in p.related for s in r.summaries]


def assert_related(digest: ParsedDigest, index: int, expected: ExpectedRelated) -> None:
    related = digest.papers[0].related[index]
    assert related.title == expected.title
    assert related.score == expected.score
    assert related.published == expected.published
    [summary] = related.summaries
    assert (summary.language, summary.kind) == ("ja", SUMMARY)
    assert len(summary.text.split("\n")) == expected.summary_lines
    assert related.arxiv_id is None  # plain text pages carry no link


# -- the seed page ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_digest() -> ParsedDigest:
    return ronbun_gaiyou.parse(seed_text("004"))


def test_seed_paper(seed_digest: ParsedDigest) -> None:
    assert seed_digest.family == "ronbun_gaiyou"
    assert seed_digest.warnings == []
    assert seed_digest.issued is None
    [paper] = seed_digest.papers
    title = (
        "Self-play with Execution Feedback: Improving Instruction-following Capabilities "
        "of Large Language Models"
    )
    assert seed_digest.title == f"論文の概要: {title}"
    assert paper.title == title
    assert paper.line == 1
    assert paper.arxiv_id == "2406.13542"
    assert paper.links == [ParsedLink("http://arxiv.org/abs/2406.13542v1", "paper")]
    assert paper.published == date(2024, 6, 19)
    assert paper.authors == [
        "Guanting Dong",
        "Keming Lu",
        "Chengpeng Li",
        "Tingyu Xia",
        "Bowen Yu",
        "Chang Zhou",
        "Jingren Zhou",
    ]
    assert paper.categories == []
    assert paper.scores == {"reference_score": 54.14602121129874}
    assert [(s.language, s.kind) for s in paper.summaries] == PAPER_SUMMARY_KINDS


def test_seed_summaries(seed_digest: ParsedDigest) -> None:
    paper = seed_digest.papers[0]
    ja_title, ja_summary, en_abstract, ja_abstract = (s.text for s in paper.summaries)
    assert ja_title.startswith("実行フィードバックによるセルフプレイ")
    assert len(ja_summary.split("\n")) == 2  # the Abstract要約 field continues on the next line
    assert paper.abstract == en_abstract
    assert en_abstract.startswith("One core capability of large language models")
    assert en_abstract.endswith("https://github.com/QwenLM/AutoIF.")
    assert len(ja_abstract.split("\n")) == 7
    assert ja_abstract.startswith("大規模言語モデル(LLM)のコア機能")


def test_seed_related_count(seed_digest: ParsedDigest) -> None:
    assert len(seed_digest.papers[0].related) == 9


@pytest.mark.parametrize(
    ("index", "expected"), list(enumerate(SEED_RELATED)), ids=[e.title[:25] for e in SEED_RELATED]
)
def test_seed_related(seed_digest: ParsedDigest, index: int, expected: ExpectedRelated) -> None:
    assert_related(seed_digest, index, expected)


def test_seed_footer_does_not_leak(seed_digest: ParsedDigest) -> None:
    for text in all_summary_texts(seed_digest):
        assert not any(word in text for word in FOOTER_WORDS)
    assert seed_digest.papers[0].related[-1].summaries[0].text.endswith("反復的に微調整する。")


@pytest.mark.parametrize(
    ("cut_after_line", "related_titles", "warning_line", "warning_text"),
    [
        (25, 0, 22, "Automatic High-quality"),  # inside the first related paper's summary
        (36, 3, 34, "Fine-Tuning and Prompt"),  # inside the fourth, which started on a date line
        (16, 0, 14, "may be cut"),  # inside the Abstract(参考訳) field: kept, flagged
    ],
)
def test_seed_cut_mid_entry(
    cut_after_line: int, related_titles: int, warning_line: int, warning_text: str
) -> None:
    digest = ronbun_gaiyou.parse(first_lines(seed_text("004"), cut_after_line))
    [paper] = digest.papers
    assert [r.title for r in paper.related] == [e.title for e in SEED_RELATED[:related_titles]]
    [warning] = digest.warnings
    assert warning.line == warning_line
    assert warning_text in warning.message


def test_seed_cut_before_the_abstract_is_an_error() -> None:
    with pytest.raises(DigestParseError, match=r"論文の概要.*line 1: .*Abstract"):
        ronbun_gaiyou.parse(first_lines(seed_text("004"), 12))


# -- our demo sample (runs in every clone) ----------------------------------------------------


@pytest.fixture(scope="module")
def sample_digest() -> ParsedDigest:
    return ronbun_gaiyou.parse(sample_text())


def test_sample_is_nfc_text() -> None:
    assert unicodedata.is_normalized("NFC", sample_text())


def test_sample_paper(sample_digest: ParsedDigest) -> None:
    assert sample_digest.warnings == []
    assert sample_digest.title == "論文の概要: KAN: Kolmogorov-Arnold Networks"
    [paper] = sample_digest.papers
    assert paper.title == "KAN: Kolmogorov-Arnold Networks"
    assert paper.line == 1
    assert paper.arxiv_id == "2404.19756"
    assert paper.links == [ParsedLink("http://arxiv.org/abs/2404.19756v1", "paper")]
    assert paper.published == date(2024, 4, 30)
    assert paper.authors == KAN_AUTHORS
    assert paper.scores == {"reference_score": 61.27315419085706}
    assert [(s.language, s.kind) for s in paper.summaries] == PAPER_SUMMARY_KINDS
    ja_title, ja_summary, en_abstract, ja_abstract = (s.text for s in paper.summaries)
    assert ja_title == "KAN:コルモゴロフ・アーノルドネットワーク"
    assert len(ja_summary.split("\n")) == 2
    assert en_abstract == paper.abstract
    assert en_abstract.startswith("Inspired by the Kolmogorov-Arnold representation theorem")
    assert len(ja_abstract.split("\n")) == 3
    assert len(paper.related) == 3


@pytest.mark.parametrize(
    ("index", "expected"), list(enumerate(SAMPLE_RELATED)), ids=[e.title[:20] for e in SAMPLE_RELATED]
)
def test_sample_related(sample_digest: ParsedDigest, index: int, expected: ExpectedRelated) -> None:
    assert_related(sample_digest, index, expected)


def test_sample_footer_does_not_leak(sample_digest: ParsedDigest) -> None:
    for text in all_summary_texts(sample_digest):
        assert not any(word in text for word in FOOTER_WORDS)


def test_sample_shares_its_paper_with_the_arxiv_jp_sample(sample_digest: ParsedDigest) -> None:
    """Importing both demo files must merge the KAN paper: same title, authors and date."""
    arxiv_jp_kan = arxiv_jp.parse((SAMPLES / "arxiv_jp_sample.txt").read_text(encoding="utf-8")).papers[0]
    kan = sample_digest.papers[0]
    assert kan.title == arxiv_jp_kan.title
    assert match_key(kan.title) == match_key(arxiv_jp_kan.title)
    assert (kan.authors, kan.published) == (arxiv_jp_kan.authors, arxiv_jp_kan.published)


def test_sample_cut_inside_the_last_related_paper() -> None:
    text = sample_text()
    digest = ronbun_gaiyou.parse(text[: text.index("Wav-KANは学習の")])
    assert [r.title for r in digest.papers[0].related] == [e.title for e in SAMPLE_RELATED[:2]]
    [warning] = digest.warnings
    assert warning.line == 24
    assert "Wav-KAN" in warning.message and "incomplete" in warning.message


def test_stray_lines_before_and_after_are_skipped_with_warnings() -> None:
    text = "ホーム\n検索\n" + sample_text() + "ページの先頭へ\n"
    digest = ronbun_gaiyou.parse(text)
    assert len(digest.papers[0].related) == 3
    assert digest.papers[0].line == 3
    assert [w.line for w in digest.warnings] == [1, 2, len(text.split("\n")) - 1]


# -- HTML pages, tricky titles, markup --------------------------------------------------------


def test_html_page() -> None:
    digest = ronbun_gaiyou.parse(HTML_PAGE)
    assert digest.warnings == []
    [paper] = digest.papers
    assert paper.line == 2
    assert paper.arxiv_id == "2404.19756"
    assert paper.authors == ["Ziming Liu", "Max Tegmark"]
    assert paper.abstract == "A short English abstract\nthat continues on a second line."
    assert paper.summaries[-1].text == "短い日本語の要約。\n二行目。"
    first, second = paper.related
    assert (first.title, first.score, first.arxiv_id) == (
        "KAN 2.0: Kolmogorov-Arnold Networks Meet Science",
        58.3,
        "2408.10205",
    )
    assert (second.title, second.published, second.arxiv_id) == (
        "Kolmogorov-Arnold Transformer",
        date(2024, 9, 16),
        "2409.10594",
    )
    assert second.summaries[0].text == "KANを使うTransformer。"


def test_related_titles_with_colons_and_brackets() -> None:
    text = (
        sample_text()
        .replace("Kolmogorov-Arnold Transformer [23.750815406432935]", "Foo [v2]: Bar [baz] [1.5] [23.75]")
        .replace("- KAN 2.0: Kolmogorov-Arnold Networks Meet Science [58.31239450384221]", "- No Score: Here")
    )
    first, second, _ = ronbun_gaiyou.parse(text).papers[0].related
    assert (first.title, first.score) == ("No Score: Here", None)
    assert (second.title, second.score) == ("Foo [v2]: Bar [baz] [1.5]", 23.75)


def test_markup_in_titles_and_summaries_is_kept_as_plain_text() -> None:
    text = (
        sample_text()
        .replace("- Title: KAN: Kolmogorov-Arnold Networks", "- Title: <script>alert(1)</script> Foo")
        .replace("- Wav-KAN: Wavelet", "- <i>Wav</i>-KAN: Wavelet")
        .replace("Wav-KANは学習の", "<b>Wav-KAN</b>は学習の")
    )
    paper = ronbun_gaiyou.parse(text).papers[0]
    assert paper.title == "<script>alert(1)</script> Foo"
    assert paper.related[2].title == "<i>Wav</i>-KAN: Wavelet Kolmogorov-Arnold Networks"
    assert "<b>Wav-KAN</b>は学習の" in paper.related[2].summaries[0].text


def test_unknown_field_is_skipped_with_a_warning() -> None:
    text = sample_text().replace("- ステータス: 処理完了", "- Something: else")
    digest = ronbun_gaiyou.parse(text)
    assert [(w.line, "unknown field" in w.message) for w in digest.warnings] == [(4, True)]


def test_invalid_date_is_skipped_with_a_warning() -> None:
    text = sample_text().replace("Tue, 30 Apr 2024 17:58:29 GMT", "yesterday")
    digest = ronbun_gaiyou.parse(text)
    assert digest.papers[0].published is None
    assert [w.line for w in digest.warnings] == [3]


def test_entry_without_english_title_is_skipped() -> None:
    text = "\n".join(
        line for line in sample_text().split("\n") if not line.startswith(("論文の概要", "- Title: "))
    )
    with pytest.raises(DigestParseError, match="English title"):
        ronbun_gaiyou.parse(text)


@pytest.mark.parametrize("text", ["", "\n \n", PROSE], ids=["empty", "blank", "prose"])
def test_no_entry_raises_a_clear_error(text: str) -> None:
    with pytest.raises(DigestParseError, match=re.escape(ronbun_gaiyou.LABEL)):
        ronbun_gaiyou.parse(text)


# -- detect() ---------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_detect_on_seeds(prefix: str) -> None:
    assert ronbun_gaiyou.detect(seed_text(prefix)) is (prefix == "004")


def test_detect_on_samples_and_prose() -> None:
    assert ronbun_gaiyou.detect(sample_text())
    assert ronbun_gaiyou.detect(HTML_PAGE)
    assert not ronbun_gaiyou.detect((SAMPLES / "arxiv_jp_sample.txt").read_text(encoding="utf-8"))
    assert not ronbun_gaiyou.detect(PROSE)
    assert not ronbun_gaiyou.detect("")
