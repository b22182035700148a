"""papers.ingest.pytorchkr: the PyTorchKR weekly Top ML Papers digests (Japanese translation)."""

from __future__ import annotations

import dataclasses
import re
from datetime import date

import pytest

from papers.ingest import pytorchkr
from papers.ingest.parsed import ABSTRACT, SUMMARY, TITLE, DigestParseError, ParsedDigest, ParsedPaper
from tests.conftest import SAMPLES, seed_text

SAMPLE = SAMPLES / "pytorchkr_sample.txt"

# The (language, kind) pairs an entry yields, by which sections it has.
FULL = {("ja", TITLE), ("ja", SUMMARY), ("en", SUMMARY), ("ja", ABSTRACT), ("en", ABSTRACT)}
INTRO = {("ja", SUMMARY), ("en", SUMMARY)}
TITLED_INTRO = INTRO | {("ja", TITLE)}

# Per seed: (English title, arXiv id, summary pairs, some links as (kind, url)).
SEED_001 = [
    (
        "Scaling neural machine translation to 200 languages",
        None,
        FULL,
        [
            ("paper", "https://www.nature.com/articles/s41586-024-07335-x"),
            ("code", "https://github.com/facebookresearch/fairseq/tree/nllb"),
            ("discussion", "https://x.com/AIatMeta/status/1798420492774432769"),
        ],
    ),
    (
        "Extracting Concepts from GPT-4",
        None,
        FULL,
        [
            ("paper", "https://openai.com/index/extracting-concepts-from-gpt-4/"),
            ("pdf", "https://cdn.openai.com/papers/sparse-autoencoders.pdf"),
            ("code", "https://github.com/openai/sparse_autoencoder"),
        ],
    ),
    (
        "Transformers are SSMs: Generalized Models and Efficient Algorithms Through Structured State Space "
        "Duality",
        "2405.21060",
        FULL,
        [("paper", "https://arxiv.org/abs/2405.21060")],
    ),
    (
        "Scalable MatMul-free Language Modeling",
        "2406.02528",
        FULL,
        [("code", "https://github.com/ridgerchu/matmulfreellm")],
    ),
    (
        "Buffer of Thoughts: Thought-Augmented Reasoning with Large Language Models",
        "2406.04271",
        FULL,
        [("discussion", "https://x.com/omarsar0/status/1799113545696567416")],
    ),
    (
        "SaySelf: Teaching LLMs to Express Confidence with Self-Reflective Rationales",
        "2405.20974",
        FULL,
        [("code", "https://github.com/xu1868/SaySelf")],
    ),
    (
        "The Geometry of Categorical and Hierarchical Concepts in Large Language Models",
        "2406.01506",
        FULL,
        [("paper", "https://arxiv.org/abs/2406.01506")],
    ),
    (
        "Show, Don't Tell: Aligning Language Models with Demonstrated Feedback",
        "2406.00888",
        FULL,
        [("discussion", "https://x.com/arankomatsuzaki/status/1797833884463472653")],
    ),
    ("Towards Scalable Automated Alignment of LLMs: A Survey", "2406.01252", FULL, []),
    (
        "AgentGym: Evolving Large Language Model-based Agents across Diverse Environments",
        "2406.04151",
        FULL,
        [("code", "https://github.com/WooooDyy/AgentGym")],
    ),
]

SEED_003 = [
    (
        "Phi-3 Technical Report: A Highly Capable Language Model Locally on Your Phone",
        "2404.14219",
        FULL,
        [("paper", "https://arxiv.org/abs/2404.14219")],
    ),
    (
        "OpenELM: An Efficient Language Model Family with Open-source Training and Inference Framework",
        "2404.14619",
        FULL,
        [
            ("discussion", "https://discuss.pytorch.kr/t/apple-270m-3b-openelm/4204"),
            ("code", "https://github.com/apple/corenet"),
            ("project", "https://huggingface.co/apple/OpenELM"),
            ("discussion", "https://x.com/rasbt/status/1783480053847736713"),
        ],
    ),
    ("Snowflake Arctic", None, INTRO, [("discussion", "https://x.com/omarsar0/status/1783176059694821632")]),
    (
        "Make Your LLM Fully Utilize the Context",
        "2404.16811",
        FULL,
        [("code", "https://github.com/microsoft/FILM")],
    ),
    ("FineWeb", None, INTRO, [("paper", "https://huggingface.co/datasets/HuggingFaceFW/fineweb")]),
    (
        "AI-powered Gene Editors",
        None,
        TITLED_INTRO,
        [("paper", "https://www.biorxiv.org/content/10.1101/2024.04.22.590591v1")],
    ),
    (
        "AutoCrawler: A Progressive Understanding Web Agent for Web Crawler Generation",
        "2404.12753",
        FULL,
        [("code", "https://github.com/EZ-hwh/AutoCrawler")],
    ),
    ("Graph Machine Learning in the Era of Large Language Models (LLMs)", "2404.14928", FULL, []),
    ("A Survey on Self-Evolution of Large Language Models", "2404.14387", FULL, []),
    (
        "NExT: Teaching Large Language Models to Reason about Code Execution",
        "2404.14662",
        FULL,
        [("discussion", "https://x.com/AnsongNi/status/1783311827390070941")],
    ),
]

SAMPLE_PAPERS = [
    (
        "KAN: Kolmogorov-Arnold Networks",
        "2404.19756",
        FULL,
        [("paper", "https://arxiv.org/abs/2404.19756"), ("code", "https://github.com/KindXiaoming/pykan")],
    ),
    ("Llama 3", None, INTRO, []),
    (
        "Better & Faster Large Language Models via Multi-token Prediction",
        "2404.19737",
        TITLED_INTRO,
        [
            ("paper", "https://arxiv.org/abs/2404.19737"),
            ("project", "https://huggingface.co/facebook/multi-token-prediction"),
        ],
    ),
]

FOOTER_MARKS = ("GPTモデル", "⚠️広告⚠️", "まだコメント", "[IMG]", "原文")


def parse_seed(prefix: str) -> ParsedDigest:
    return pytorchkr.parse(seed_text(prefix))


def parse_sample() -> ParsedDigest:
    return pytorchkr.parse(SAMPLE.read_text(encoding="utf-8"))


def summary_pairs(paper: ParsedPaper) -> set[tuple[str, str]]:
    return {(summary.language, summary.kind) for summary in paper.summaries}


def summary_text(paper: ParsedPaper, language: str, kind: str) -> str:
    texts = [s.text for s in paper.summaries if (s.language, s.kind) == (language, kind)]
    assert len(texts) == 1, f"expected one {language} {kind} summary, got {len(texts)}"
    return texts[0]


def assert_paper(paper: ParsedPaper, title, arxiv_id, pairs, links) -> None:
    assert paper.title == title
    assert paper.arxiv_id == arxiv_id
    assert paper.authors == []
    assert paper.categories == []
    assert paper.published is None
    assert summary_pairs(paper) == pairs
    assert len(paper.summaries) == len(pairs), "one summary per (language, kind)"
    got = [(link.kind, link.url) for link in paper.links]
    for link in links:
        assert link in got
    assert not any("…" in url for _, url in got), "truncated URLs must not be stored"
    assert paper.abstract == (summary_text(paper, "en", ABSTRACT) if ("en", ABSTRACT) in pairs else "")


def table_params(prefix: str, table: list) -> list:
    return [pytest.param(prefix, index, *row, id=f"{prefix}-{index + 1}") for index, row in enumerate(table)]


# --- seeds ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "count", "issued", "title", "url"),
    [
        ("001", 10, date(2024, 6, 13), "", "https://nlp.elvissaravia.com/p/top-ml-papers-of-the-week-90f"),
        (
            "003",
            10,
            date(2024, 4, 28),
            "[2024/04/22 ~ 04/28] 今週の主要なML論文 (Top ML Papers of the Week)",
            "https://nlp.elvissaravia.com/p/top-ml-papers-of-the-week-b1c",
        ),
    ],
)
def test_seed_digest_fields(prefix, count, issued, title, url):
    digest = parse_seed(prefix)
    assert digest.family == "pytorchkr"
    assert len(digest.papers) == count
    assert digest.issued == issued
    assert digest.title == title
    assert digest.url == url


@pytest.mark.parametrize(
    ("prefix", "index", "title", "arxiv_id", "pairs", "links"),
    table_params("001", SEED_001) + table_params("003", SEED_003),
)
def test_seed_paper(prefix, index, title, arxiv_id, pairs, links):
    assert_paper(parse_seed(prefix).papers[index], title, arxiv_id, pairs, links)


@pytest.mark.parametrize(
    ("prefix", "index", "translated"),
    [
        ("001", 0, "NLLB: ニューラル機械翻訳を200言語へ拡張"),
        (
            "001",
            2,
            "トランスフォーマーはSSMである:構造化状態空間双対性による一般化モデルと効率的アルゴリズム",
        ),
        ("003", 0, "Phi-3技術レポート: スマートフォン上でローカルに高い性能を発揮する言語モデル"),
        ("003", 5, "AIベースの遺伝子エディター"),
    ],
)
def test_translated_title_is_left_of_the_last_separator(prefix, index, translated):
    assert summary_text(parse_seed(prefix).papers[index], "ja", TITLE) == translated


@pytest.mark.parametrize(("prefix", "first_line"), [("001", 9), ("003", 11)])
def test_intro_bullets_are_not_a_paper(prefix, first_line):
    assert parse_seed(prefix).papers[0].line == first_line


def test_quoted_and_plain_english_are_split_from_japanese():
    papers = parse_seed("001").papers
    # Entry 1 has the English paragraph after a blank line, entry 2 as a "> " quote.
    assert summary_text(papers[0], "en", SUMMARY).startswith("Proposes a massive multilingual model")
    assert summary_text(papers[1], "en", SUMMARY).startswith("Proposes a new scalable method")
    assert summary_text(papers[1], "en", ABSTRACT).startswith("Sparse autoencoders provide")
    assert summary_text(papers[1], "ja", SUMMARY).startswith("GPT-4から約1,600万個")
    for paper in papers:
        for summary in paper.summaries:
            assert not summary.text.startswith(">")
            assert "\n>" not in summary.text


def test_dense_layout_splits_each_line_by_script():
    phi3 = parse_seed("003").papers[0]
    assert summary_text(phi3, "ja", SUMMARY).startswith("3.3兆トークン")
    assert summary_text(phi3, "en", SUMMARY).startswith("A new 3.8B parameter language model")
    assert phi3.abstract.startswith("We introduce phi-3-mini")


@pytest.mark.parametrize(("prefix", "lines"), [("001", [56]), ("003", [21, 43])])
def test_truncated_more_links_are_warned_not_stored(prefix, lines):
    digest = parse_seed(prefix)
    truncated = [w.line for w in digest.warnings if "truncated URL" in w.message]
    assert truncated == lines


@pytest.mark.parametrize("prefix", ["001", "003"])
def test_footer_does_not_leak_into_papers(prefix):
    digest = parse_seed(prefix)
    for paper in digest.papers:
        for summary in paper.summaries:
            assert not any(mark in summary.text for mark in FOOTER_MARKS)
        assert digest.url not in {link.url for link in paper.links}


def test_source_link_is_the_digest_url_not_a_paper_link():
    last = parse_seed("003").papers[-1]
    assert [(link.kind, link.url) for link in last.links] == [
        ("paper", "https://arxiv.org/abs/2404.14662"),
        ("discussion", "https://x.com/AnsongNi/status/1783311827390070941"),
    ]


# --- our sample --------------------------------------------------------------------------------------


def test_sample_digest_fields():
    digest = parse_sample()
    assert digest.family == "pytorchkr"
    assert len(digest.papers) == 3
    assert digest.issued == date(2024, 5, 5)
    assert digest.title.startswith("[2024/04/29 ~ 05/05]")
    assert digest.url == "https://nlp.elvissaravia.com/"
    # The sample keeps one display-truncated forum link to show the warning.
    assert [(w.line, "truncated URL" in w.message) for w in digest.warnings] == [(18, True)]


@pytest.mark.parametrize(
    ("index", "title", "arxiv_id", "pairs", "links"),
    [pytest.param(index, *row, id=row[0][:20]) for index, row in enumerate(SAMPLE_PAPERS)],
)
def test_sample_paper(index, title, arxiv_id, pairs, links):
    paper = parse_sample().papers[index]
    assert_paper(paper, title, arxiv_id, pairs, links)
    for summary in paper.summaries:
        assert 0 < len(summary.text) < 400
        assert "\n" not in summary.text


def test_sample_english_only_entry_has_no_link_and_no_translated_title():
    llama = parse_sample().papers[1]
    assert llama.links == []
    assert ("ja", TITLE) not in summary_pairs(llama)


def test_sample_kan_texts():
    kan = parse_sample().papers[0]
    assert summary_text(kan, "ja", TITLE) == "KAN: コルモゴロフ・アーノルド・ネットワーク"
    assert kan.abstract.startswith("This work builds networks on the Kolmogorov-Arnold")


def as_html_text(text: str) -> str:
    """What html_to_text makes of the same post: blank lines everywhere, indentation, English paragraphs
    as blockquotes, link lines as list items whose text is the shortened URL and target the full one."""
    out = ["", "   "]
    for line in text.split("\n"):
        if line.startswith("http") and not line.endswith("…"):
            out.append(f"  - {line[:24]}… <{line}>")
        elif re.match(r"^[A-Za-z]", line) and " " in line and "/" not in line and len(line) > 60:
            out.append(f"> {line}")
        else:
            out.append(f" {line} ")
        out.append("")
    return "\n".join(out)


def without_lines(digest: ParsedDigest) -> list[ParsedPaper]:
    return [dataclasses.replace(paper, line=0) for paper in digest.papers]


@pytest.mark.parametrize("source", ["sample", "001", "003"])
def test_html_rendering_parses_to_the_same_papers(source):
    text = SAMPLE.read_text(encoding="utf-8") if source == "sample" else seed_text(source)
    plain = pytorchkr.parse(text)
    html = pytorchkr.parse(as_html_text(text))
    assert without_lines(html) == without_lines(plain)
    assert (html.title, html.issued, html.url) == (plain.title, plain.issued, plain.url)


# --- title lines ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("日本語 / English Title", ("日本語", "English Title")),
        (
            "KAN: 新しいネットワーク / KAN: Kolmogorov-Arnold Networks",
            ("KAN: 新しいネットワーク", "KAN: Kolmogorov-Arnold Networks"),
        ),
        ("入出力/比較の研究 / Input/Output Study", ("入出力/比較の研究", "Input/Output Study")),
        ("GPT-4 / Claude比較 / GPT-4 vs Claude", ("GPT-4 / Claude比較", "GPT-4 vs Claude")),
        ("Snowflake Arctic", ("", "Snowflake Arctic")),
        ("Input / Output Scaling", ("", "Input / Output Scaling")),
        ("英語タイトルのない論文", ("英語タイトルのない論文", "")),
    ],
)
def test_split_title(line, expected):
    assert pytorchkr.split_title(line) == expected


ENTRY = "別の論文 / Bar Paper\n論文紹介\n説明です。\nText.\n論文リンク\n原文\n"


def test_week_range_across_new_year_ends_in_next_year():
    text = "[2024/12/30 ~ 01/05] 今週の主要なML論文\n" + ENTRY
    assert pytorchkr.parse(text).issued == date(2025, 1, 5)


# --- detection ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "expected"), [("000", False), ("001", True), ("002", False), ("003", True), ("004", False)]
)
def test_detect_seeds(prefix, expected):
    assert pytorchkr.detect(seed_text(prefix)) is expected


def test_detect_sample_and_prose():
    assert pytorchkr.detect(SAMPLE.read_text(encoding="utf-8"))
    assert not pytorchkr.detect("")
    assert not pytorchkr.detect("We met on Tuesday to talk about papers.\nNobody brought a link.\n")
    assert not pytorchkr.detect("この論文紹介はとても面白かったです。\n論文リンクは後で送ります。\n")


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n  \n",
        "Lorem ipsum dolor sit amet.\nConsectetur adipiscing elit.\n",
        "論文リンク\nhttps://arxiv.org/abs/2404.19756\n",
    ],
)
def test_no_entry_raises(text):
    with pytest.raises(DigestParseError, match="No PyTorchKR"):
        pytorchkr.parse(text)


def cut_before(text: str, marker: str, occurrence: int = 1, keep: int = 40) -> str:
    """The text up to ``keep`` characters into the ``occurrence``-th line starting with ``marker``."""
    starts = [m.start() for m in re.finditer(rf"^{re.escape(marker)}", text, flags=re.MULTILINE)]
    return text[: starts[occurrence - 1] + keep]


def test_cut_mid_entry_keeps_complete_entries_and_warns():
    # 003 cut in the middle of AutoCrawler's (7th entry, line 73) Japanese abstract.
    text = seed_text("003")
    digest = pytorchkr.parse(cut_before(text, "Web自動化は"))
    assert [p.title for p in digest.papers] == [row[0] for row in SEED_003[:6]]
    incomplete = [w for w in digest.warnings if "incomplete" in w.message]
    assert [w.line for w in incomplete] == [73]
    assert digest.url == ""


def test_cut_mid_intro_of_a_spaced_seed():
    text = seed_text("001")
    digest = pytorchkr.parse(cut_before(text, "> Provides an overview of methods", keep=30))
    assert len(digest.papers) == 8
    assert [w.line for w in digest.warnings if "incomplete" in w.message] == [193]


def test_cut_in_first_entry_raises():
    text = SAMPLE.read_text(encoding="utf-8")
    with pytest.raises(DigestParseError, match="incomplete"):
        pytorchkr.parse(cut_before(text, "コルモゴロフ・アーノルド表現定理"))


def test_entry_without_english_title_is_skipped_with_warning():
    text = "英語タイトルのない論文\n論文紹介\n説明。\n論文リンク\n" + ENTRY
    digest = pytorchkr.parse(text)
    assert [p.title for p in digest.papers] == ["Bar Paper"]
    assert [w.line for w in digest.warnings] == [1]


def test_markup_is_kept_as_plain_text():
    text = (
        "<b>危険</b>なタイトル / <script>alert(1)</script> Title\n"
        "論文紹介\n"
        "<img src=x onerror=alert(1)>を含む説明です。\n"
        "> A summary with <script>alert(2)</script> inside.\n"
        "論文リンク\n"
        "https://arxiv.org/abs/2404.19756\n"
        "原文\n"
        "https://example.org/post\n"
    )
    paper = pytorchkr.parse(text).papers[0]
    assert paper.title == "<script>alert(1)</script> Title"
    assert summary_text(paper, "ja", TITLE) == "<b>危険</b>なタイトル"
    assert summary_text(paper, "ja", SUMMARY) == "<img src=x onerror=alert(1)>を含む説明です。"
    assert summary_text(paper, "en", SUMMARY) == "A summary with <script>alert(2)</script> inside."


def test_html_links_on_titles_labels_and_text():
    text = (
        "KAN: 新しいネットワーク / KAN: Kolmogorov-Arnold Networks <https://arxiv.org/abs/2404.19756>\n"
        "論文紹介\n"
        "エッジ上の学習可能な関数を使います。詳しくはこちら <https://example.org/kan>\n"
        "> Learnable functions on edges.\n"
        "論文リンク\n"
        "arXiv <https://arxiv.org/abs/2404.19756>\n"
        "さらに読む\n"
        "pykan <https://github.com/KindXiaoming/pykan>\n"
        "原文 <https://nlp.elvissaravia.com/>\n"
        "まだコメントはありません。\n"
    )
    digest = pytorchkr.parse(text)
    paper = digest.papers[0]
    assert paper.title == "KAN: Kolmogorov-Arnold Networks"
    assert paper.arxiv_id == "2404.19756"
    assert summary_text(paper, "ja", SUMMARY) == "エッジ上の学習可能な関数を使います。詳しくはこちら"
    assert [(link.kind, link.url) for link in paper.links] == [
        ("paper", "https://arxiv.org/abs/2404.19756"),
        ("code", "https://github.com/KindXiaoming/pykan"),
    ]
    assert digest.url == "https://nlp.elvissaravia.com/"
    assert digest.warnings == []
