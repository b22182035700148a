"""arxiv.jp parser: the seed post (000), our demo sample, HTML-converted variants and bad input.

Pure tests: no database, no Django (run with ``-p no:django``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

import pytest

from papers.ingest import arxiv_jp
from papers.ingest.parsed import ABSTRACT, DigestParseError, ParsedDigest, ParsedLink
from tests.conftest import SAMPLES, seed_text

SAMPLE_PATH = SAMPLES / "arxiv_jp_sample.txt"
BOTH_ABSTRACTS = {("ja", ABSTRACT), ("en", ABSTRACT)}
PROSE = (
    "Transformers changed natural language processing.\n"
    "This paragraph is ordinary English prose and carries no digest structure at all.\n"
)


@dataclass(frozen=True)
class Expected:
    """What one entry must parse to. ``ja_lines``: sentences of the Japanese abstract (one per line)."""

    line: int
    title: str
    first_author: str
    last_author: str
    author_count: int
    categories: tuple[str, ...]
    published: date
    ja_lines: int
    en_start: str


SEED_PAPERS = [
    Expected(
        1,
        "Assessing Episodic Memory in LLMs with Sequence Order Recall Tasks",
        "Mathis Pink",
        "Mariya Toneva",
        10,
        ("cs.AI", "cs.CL", "cs.LG"),
        date(2024, 10, 10),
        11,
        "Current LLM benchmarks",
    ),
    Expected(
        33,
        "Steering Masked Discrete Diffusion Models via Discrete Denoising Posterior Prediction",
        "Jarrid Rector-Brooks",
        "Avishek Joey Bose",
        12,
        ("cs.AI", "cs.LG"),
        date(2024, 10, 10),
        7,
        "Generative modeling of discrete data",
    ),
    Expected(
        61,
        "AutoRD: An Automatic and End-to-End System for Rare Disease Knowledge Graph Construction "
        "Based on Ontologies-enhanced Large Language Models",
        "Lang Cao",
        "Adam Cross",
        3,
        ("cs.AI", "cs.CL"),
        date(2024, 10, 10),
        8,
        "Rare diseases affect millions",
    ),
    Expected(
        90,
        "Mini-batch Coresets for Memory-efficient Training of Large Language Models",
        "Dang Nguyen",
        "Baharan Mirzasoleiman",
        5,
        ("cs.AI", "cs.CL", "cs.LG"),
        date(2024, 10, 10),
        11,
        "Training with larger mini-batches",
    ),
    Expected(
        122,
        "Hammer: Robust Function-Calling for On-Device Language Models via Function Masking",
        "Qiqiang Lin",
        "Weinan Zhang",
        12,
        ("cs.AI", "cs.LG", "cs.SE"),
        date(2024, 10, 10),
        7,
        "Large language models have demonstrated",
    ),
    Expected(
        150,
        "DelTA: An Online Document-Level Translation Agent Based on Multi-Level Memory",
        "Yutong Wang",
        "Min Zhang",
        7,
        ("cs.AI", "cs.CL"),
        date(2024, 10, 10),
        9,
        "Large language models (LLMs) have achieved",
    ),
    Expected(
        180,
        "Asynchronous Graph Generator",
        "Christopher P. Ley",
        "Felipe Tobar",
        2,
        ("cs.AI", "cs.LG"),
        date(2024, 10, 10),
        7,
        "We introduce the asynchronous graph generator",
    ),
    Expected(
        208,
        "Sample then Identify: A General Framework for Risk Control and Assessment in Multimodal "
        "Large Language Models",
        "Qingni Wang",
        "Feng Zheng",
        6,
        ("cs.AI", "cs.CL", "cs.LG", "cs.MM"),
        date(2024, 10, 10),
        8,  # the seed has a blank line inside this abstract: it must not split or end the block
        "Multimodal Large Language Models (MLLMs)",
    ),
    Expected(
        238,
        r"$\textbf{PLUM}$: Improving Code LMs with Execution-Guided On-Policy Preference Learning "
        "Driven By Synthetic Test Cases",
        "Dylan Zhang",
        "Hao Peng",
        4,
        ("cs.AI", "cs.CL", "cs.LG", "cs.PL", "cs.SE"),
        date(2024, 10, 10),
        11,
        "Preference learning provides",
    ),
    Expected(
        270,
        "From Exploration to Mastery: Enabling LLMs to Master Tools via Self-Driven Interactions",
        "Changle Qu",
        "Ji-Rong Wen",
        8,
        ("cs.AI", "cs.CL"),
        date(2024, 10, 10),
        8,
        "Tool learning enables Large Language Models",
    ),
]

SEED_FULL_AUTHORS = {
    0: [
        "Mathis Pink",
        "Vy A. Vo",
        "Qinyuan Wu",
        "Jianing Mu",
        "Javier S. Turek",
        "Uri Hasson",
        "Kenneth A. Norman",
        "Sebastian Michelmann",
        "Alexander Huth",
        "Mariya Toneva",
    ],
    2: ["Lang Cao", "Jimeng Sun", "Adam Cross"],
    # "Jun Wang" appears twice: two people of the same name, both kept.
    4: [
        "Qiqiang Lin",
        "Muning Wen",
        "Qiuying Peng",
        "Guanyu Nie",
        "Junwei Liao",
        "Jun Wang",
        "Xiaoyun Mo",
        "Jiamu Zhou",
        "Cheng Cheng",
        "Yin Zhao",
        "Jun Wang",
        "Weinan Zhang",
    ],
    6: ["Christopher P. Ley", "Felipe Tobar"],
}

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
SAMPLE_PAPERS = [
    Expected(
        1,
        "KAN: Kolmogorov-Arnold Networks",
        "Ziming Liu",
        "Max Tegmark",
        8,
        ("cs.LG", "cs.AI", "cond-mat.dis-nn", "stat.ML"),
        date(2024, 4, 30),
        4,
        "Inspired by the Kolmogorov-Arnold representation theorem",
    ),
    Expected(
        26,
        "Mamba: Linear-Time Sequence Modeling with Selective State Spaces",
        "Albert Gu",
        "Tri Dao",
        2,
        ("cs.LG", "cs.AI"),
        date(2023, 12, 1),
        4,
        "We address the quadratic cost of Transformers",
    ),
    Expected(
        52,
        "Attention Is All You Need",
        "Ashish Vaswani",
        "Illia Polosukhin",
        8,
        ("cs.CL", "cs.LG"),
        date(2017, 6, 12),
        3,
        "We propose the Transformer",
    ),
]
SAMPLE_FULL_AUTHORS = {
    0: KAN_AUTHORS,
    1: ["Albert Gu", "Tri Dao"],
    2: [
        "Ashish Vaswani",
        "Noam Shazeer",
        "Niki Parmar",
        "Jakob Uszkoreit",
        "Llion Jones",
        "Aidan N. Gomez",
        "Lukasz Kaiser",
        "Illia Polosukhin",
    ],
}


def sample_text() -> str:
    return SAMPLE_PATH.read_text(encoding="utf-8")


def first_lines(text: str, count: int) -> str:
    return "\n".join(text.split("\n")[:count])


def as_html_text(text: str) -> str:
    """``text`` as our html_to_text would render a saved page: indented lines, extra blank lines,
    metadata as list items, Japanese sentences in blockquotes, the arXiv link behind arxiv_id(pdf)."""
    rendered = []
    for line in text.split("\n"):
        if line.startswith(("著者", "発行日", "arxivサイト", "カテゴリー")):
            line = f"- {line}"
        elif "。" in line:
            line = f"> {line}"
        rendered += [f"  {line} ", ""]
    return "\n".join(rendered)


def with_pdf_link(text: str, arxiv_id: str) -> str:
    """Give the first entry's placeholder the link a saved HTML page carries."""
    return text.replace("arxiv_id(pdf)", f"arxiv_id(pdf) <https://arxiv.org/pdf/{arxiv_id}>", 1)


def assert_paper(digest: ParsedDigest, index: int, expected: Expected) -> None:
    paper = digest.papers[index]
    assert paper.title == expected.title
    assert paper.line == expected.line
    assert len(paper.authors) == expected.author_count
    assert paper.authors[0] == expected.first_author
    assert paper.authors[-1] == expected.last_author
    assert paper.categories == list(expected.categories)
    assert paper.published == expected.published
    assert {(s.language, s.kind) for s in paper.summaries} == BOTH_ABSTRACTS
    [ja_abstract] = [s.text for s in paper.summaries if s.language == "ja"]
    [en_abstract] = [s.text for s in paper.summaries if s.language == "en"]
    assert len(ja_abstract.split("\n")) == expected.ja_lines
    assert all(sentence.strip() == sentence and sentence for sentence in ja_abstract.split("\n"))
    assert paper.abstract == en_abstract
    assert en_abstract.startswith(expected.en_start)
    assert "\n" not in en_abstract  # one paragraph in the seed format
    assert paper.scores == {}
    assert paper.related == []


# -- the seed post ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_digest() -> ParsedDigest:
    return arxiv_jp.parse(seed_text("000"))


def test_seed_digest_fields(seed_digest: ParsedDigest) -> None:
    assert seed_digest.family == "arxiv_jp"
    assert len(seed_digest.papers) == 10
    assert seed_digest.title == ""
    assert seed_digest.issued == date(2024, 10, 10)
    assert seed_digest.warnings == []


@pytest.mark.parametrize(
    ("index", "expected"), list(enumerate(SEED_PAPERS)), ids=[e.title[:30] for e in SEED_PAPERS]
)
def test_seed_paper(seed_digest: ParsedDigest, index: int, expected: Expected) -> None:
    assert_paper(seed_digest, index, expected)
    # The plain-text post names no arXiv id ("arxiv_id(pdf)" is a bare placeholder).
    assert seed_digest.papers[index].arxiv_id is None
    assert seed_digest.papers[index].links == []


@pytest.mark.parametrize(("index", "authors"), SEED_FULL_AUTHORS.items())
def test_seed_full_author_lists(seed_digest: ParsedDigest, index: int, authors: list[str]) -> None:
    assert seed_digest.papers[index].authors == authors


def test_seed_keeps_urls_and_english_ending_inside_abstracts(seed_digest: ParsedDigest) -> None:
    delta = seed_digest.papers[5]
    assert "https://github.com/YutongWang1216/DocMTAgent" in delta.summaries[0].text
    assert seed_digest.papers[0].abstract.endswith("memory-augmented models.")


def test_seed_as_html_text_parses_the_same(seed_digest: ParsedDigest) -> None:
    html_digest = arxiv_jp.parse(as_html_text(seed_text("000")))
    assert html_digest.warnings == []
    assert [p.title for p in html_digest.papers] == [p.title for p in seed_digest.papers]
    assert [p.authors for p in html_digest.papers] == [p.authors for p in seed_digest.papers]
    assert [p.categories for p in html_digest.papers] == [p.categories for p in seed_digest.papers]
    assert [p.summaries for p in html_digest.papers] == [p.summaries for p in seed_digest.papers]


@pytest.mark.parametrize(
    ("cut_after_line", "complete", "cut_title_line"),
    [
        (130, 4, 122),  # inside Hammer's Japanese abstract
        (136, 4, 122),  # after Hammer's English abstract, before its arxiv情報
        (20, 0, 1),  # inside the first entry: nothing complete
    ],
)
def test_seed_cut_mid_entry(cut_after_line: int, complete: int, cut_title_line: int) -> None:
    text = first_lines(seed_text("000"), cut_after_line)
    if complete == 0:
        with pytest.raises(DigestParseError, match=rf"arxiv\.jp.*line {cut_title_line}"):
            arxiv_jp.parse(text)
        return
    digest = arxiv_jp.parse(text)
    assert [p.title for p in digest.papers] == [e.title for e in SEED_PAPERS[:complete]]
    [warning] = digest.warnings
    assert warning.line == cut_title_line
    assert "incomplete" in warning.message and "Hammer" in warning.message


# -- our demo sample (runs in every clone) ----------------------------------------------------


@pytest.fixture(scope="module")
def sample_digest() -> ParsedDigest:
    return arxiv_jp.parse(sample_text())


def test_sample_is_nfc_text() -> None:
    assert unicodedata.is_normalized("NFC", sample_text())


def test_sample_digest_fields(sample_digest: ParsedDigest) -> None:
    assert len(sample_digest.papers) == 3
    assert sample_digest.title == ""
    # Three different dates, each once: the tie goes to the latest.
    assert sample_digest.issued == date(2024, 4, 30)
    assert sample_digest.warnings == []


@pytest.mark.parametrize(
    ("index", "expected"), list(enumerate(SAMPLE_PAPERS)), ids=[e.title[:20] for e in SAMPLE_PAPERS]
)
def test_sample_paper(sample_digest: ParsedDigest, index: int, expected: Expected) -> None:
    assert_paper(sample_digest, index, expected)
    assert sample_digest.papers[index].arxiv_id is None


@pytest.mark.parametrize(("index", "authors"), SAMPLE_FULL_AUTHORS.items())
def test_sample_full_author_lists(sample_digest: ParsedDigest, index: int, authors: list[str]) -> None:
    assert sample_digest.papers[index].authors == authors


def test_sample_blank_line_inside_an_abstract_is_dropped(sample_digest: ParsedDigest) -> None:
    mamba_ja = sample_digest.papers[1].summaries[0].text
    assert "\n\n" not in mamba_ja
    assert mamba_ja.split("\n")[2].startswith("ハードウェアを意識した並列スキャン")


def test_sample_as_html_text_with_arxiv_link() -> None:
    digest = arxiv_jp.parse(as_html_text(with_pdf_link(sample_text(), "2404.19756")))
    assert digest.warnings == []
    kan, mamba, attention = digest.papers
    assert kan.arxiv_id == "2404.19756"
    assert kan.links == [ParsedLink("https://arxiv.org/pdf/2404.19756", "pdf")]
    assert kan.authors == KAN_AUTHORS
    assert kan.categories == ["cs.LG", "cs.AI", "cond-mat.dis-nn", "stat.ML"]
    assert kan.summaries[0].text.startswith("コルモゴロフ・アーノルド表現定理")  # the "> " is gone
    assert (mamba.arxiv_id, attention.arxiv_id) == (None, None)
    assert [p.line for p in digest.papers] == [1, 51, 103]  # every line is followed by a blank one


def test_abs_link_behind_the_title_gives_a_paper_link() -> None:
    text = sample_text().replace(
        "Attention Is All You Need\n", "Attention Is All You Need <https://arxiv.org/abs/1706.03762v7>\n"
    )
    attention = arxiv_jp.parse(text).papers[2]
    assert attention.title == "Attention Is All You Need"
    assert attention.arxiv_id == "1706.03762"
    assert attention.links == [ParsedLink("https://arxiv.org/abs/1706.03762v7", "paper")]


def test_sample_cut_mid_line() -> None:
    text = sample_text()
    cut = text.index("機械翻訳の実験では") + 4  # in the middle of a sentence of the third entry
    digest = arxiv_jp.parse(text[:cut])
    assert [p.title for p in digest.papers] == [e.title for e in SAMPLE_PAPERS[:2]]
    [warning] = digest.warnings
    assert warning.line == 52
    assert "Attention Is All You Need" in warning.message


def test_stray_lines_around_the_entries_are_skipped_with_warnings() -> None:
    text = "Menu\nホーム\n\n" + sample_text() + "\nShare this:\nX\n"
    digest = arxiv_jp.parse(text)
    assert [p.title for p in digest.papers] == [e.title for e in SAMPLE_PAPERS]
    assert [p.line for p in digest.papers] == [4, 29, 55]
    last_line = len(text.split("\n")) - 1  # the text ends with a newline
    assert [w.line for w in digest.warnings] == [1, 2, last_line - 1, last_line]
    assert "Menu" in digest.warnings[0].message


def test_entry_without_english_title_is_skipped_with_a_warning() -> None:
    text = sample_text().replace("KAN: Kolmogorov-Arnold Networks\n", "", 1)
    digest = arxiv_jp.parse(text)
    assert [p.title for p in digest.papers] == [e.title for e in SAMPLE_PAPERS[1:]]
    [warning] = digest.warnings
    assert warning.line == 2  # the 要約 header: there is no title line to point at
    assert "English title" in warning.message


def test_markup_in_titles_and_summaries_is_kept_as_plain_text() -> None:
    text = (
        sample_text()
        .replace("KAN: Kolmogorov-Arnold Networks\n", "<script>alert(1)</script> Foo\n", 1)
        .replace("学習された関数は", "<b>学習</b>された関数は", 1)
    )
    kan = arxiv_jp.parse(text).papers[0]
    assert kan.title == "<script>alert(1)</script> Foo"
    assert "<b>学習</b>された関数は" in kan.summaries[0].text


def test_missing_arxiv_info_header_still_reads_the_fields() -> None:
    text = sample_text().replace("arxiv情報\n", "")
    digest = arxiv_jp.parse(text)
    assert digest.warnings == []
    assert [p.authors[0] for p in digest.papers] == ["Ziming Liu", "Albert Gu", "Ashish Vaswani"]
    assert all(len(p.summaries) == 2 for p in digest.papers)


@pytest.mark.parametrize("text", ["", "\n\n  \n", PROSE], ids=["empty", "blank", "prose"])
def test_no_entry_raises_a_clear_error(text: str) -> None:
    with pytest.raises(DigestParseError, match=re.escape(arxiv_jp.LABEL)):
        arxiv_jp.parse(text)


# -- detect() ---------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_detect_on_seeds(prefix: str) -> None:
    assert arxiv_jp.detect(seed_text(prefix)) is (prefix == "000")


def test_detect_on_samples_and_prose() -> None:
    assert arxiv_jp.detect(sample_text())
    assert arxiv_jp.detect(as_html_text(sample_text()))
    assert not arxiv_jp.detect((SAMPLES / "ronbun_gaiyou_sample.txt").read_text(encoding="utf-8"))
    assert not arxiv_jp.detect(PROSE)
    assert not arxiv_jp.detect("")
