"""papers.ingest.zh_digest: Chinese paper digests with 推荐阅读指数."""

from __future__ import annotations

import dataclasses

import pytest

from papers.ingest import zh_digest
from papers.ingest.parsed import (
    ABSTRACT,
    ANALYSIS,
    BACKGROUND,
    CONTRIBUTIONS,
    FUTURE_WORK,
    METHOD,
    RESULTS,
    TITLE,
    DigestParseError,
    ParsedDigest,
    ParsedPaper,
)
from tests.conftest import SAMPLES, seed_text

SAMPLE = SAMPLES / "zh_digest_sample.txt"

ALL_KINDS = {
    ("zh", kind)
    for kind in (TITLE, ABSTRACT, BACKGROUND, METHOD, CONTRIBUTIONS, RESULTS, FUTURE_WORK, ANALYSIS)
}

# (English title, arXiv id, authors, reading index, (link kind, url), Chinese title)
SEED_002 = [
    (
        "Self-Updatable Large Language Models with Parameter Integration",
        "2410.00487",
        ["Y Wang", "X Liu", "X Chen", "S O’Brien", "J Wu", "J McAuley"],
        3.5,
        ("pdf", "https://arxiv.org/pdf/2410.00487"),
        "自我可更新的大型语言模型与参数集成",
    ),
    (
        "CodeJudge: Evaluating Code Generation with Large Language Models",
        "2410.02184",
        ["W Tong", "T Zhang"],
        3.0,
        ("pdf", "https://arxiv.org/pdf/2410.02184"),
        "CODEJUDGE:使用大型语言模型评估代码生成",
    ),
    (
        "How Reliable Is Human Feedback For Aligning Large Language Models?",
        "2410.01957",
        ["MH Yeh", "L Tao", "J Wang", "X Du", "Y Li"],
        3.5,
        ("pdf", "https://arxiv.org/pdf/2410.01957"),
        "人类反馈对于大型语言模型对齐有多可靠?",
    ),
    (
        "Aligning with logic: Measuring, Evaluating and Improving Logical Consistency in Large Language "
        "Models",
        "2410.02205",
        ["Y Liu", "Z Guo", "T Liang", "E Shareghi", "I Vulić", "N Collier"],
        3.5,
        ("pdf", "https://arxiv.org/pdf/2410.02205"),
        "测量、评估和改进大型语言模型中的逻辑一致性",
    ),
    (
        "Coevolving with the Other You: Fine-Tuning LLM with Sequential Cooperative Multi-Agent "
        "Reinforcement Learning",
        "2410.06101",
        ["Hao Ma", "Tianyi Hu", "Zhiqiang Pu", "Boyin Liu", "Xiaolin Ai", "Yanyan Liang", "Min Chen"],
        4.0,
        ("paper", "https://arxiv.org/abs/2410.06101"),
        "与你共进化:使用顺序合作多智能体强化学习微调LLM",
    ),
]

SAMPLE_PAPERS = [
    (
        "Mamba: Linear-Time Sequence Modeling with Selective State Spaces",
        "2312.00752",
        ["A Gu", "T Dao"],
        4.5,
        ("pdf", "https://arxiv.org/pdf/2312.00752"),
        "Mamba:基于选择性状态空间的线性时间序列建模",
    ),
    (
        "Attention Is All You Need",
        "1706.03762",
        [
            "A Vaswani",
            "N Shazeer",
            "N Parmar",
            "J Uszkoreit",
            "L Jones",
            "AN Gomez",
            "Ł Kaiser",
            "I Polosukhin",
        ],
        5.0,
        ("paper", "https://arxiv.org/abs/1706.03762"),
        "注意力就是你所需要的一切",
    ),
]


def parse_sample() -> ParsedDigest:
    return zh_digest.parse(SAMPLE.read_text(encoding="utf-8"))


def summary_text(paper: ParsedPaper, kind: str) -> str:
    texts = [s.text for s in paper.summaries if s.kind == kind]
    assert len(texts) == 1, f"expected one {kind} summary, got {len(texts)}"
    return texts[0]


def assert_paper(paper: ParsedPaper, title, arxiv_id, authors, score, link, zh_title) -> None:
    assert paper.title == title
    assert paper.arxiv_id == arxiv_id
    assert paper.authors == authors
    assert paper.scores == {"reading_index": score}
    assert [(link.kind, link.url) for link in paper.links] == [link]
    assert {(s.language, s.kind) for s in paper.summaries} == ALL_KINDS
    assert len(paper.summaries) == len(ALL_KINDS)
    assert summary_text(paper, TITLE) == zh_title
    assert paper.published is None
    assert paper.abstract == "", "the digest carries no English abstract"
    for line in summary_text(paper, CONTRIBUTIONS).split("\n"):
        assert line.startswith("- ")


# --- seed ----------------------------------------------------------------------------------------


def test_seed_digest_fields():
    digest = zh_digest.parse(seed_text("002"))
    assert digest.family == "zh_digest"
    assert len(digest.papers) == 5
    assert (digest.title, digest.issued, digest.url) == ("", None, "")
    assert digest.warnings == []
    assert [paper.line for paper in digest.papers] == [1, 22, 43, 64, 86]


@pytest.mark.parametrize(
    ("index", "title", "arxiv_id", "authors", "score", "link", "zh_title"),
    [pytest.param(index, *row, id=f"002-{index + 1}") for index, row in enumerate(SEED_002)],
)
def test_seed_paper(index, title, arxiv_id, authors, score, link, zh_title):
    assert_paper(
        zh_digest.parse(seed_text("002")).papers[index], title, arxiv_id, authors, score, link, zh_title
    )


def test_seed_section_texts_start_where_their_label_is():
    first = zh_digest.parse(seed_text("002")).papers[0]
    assert summary_text(first, ABSTRACT).startswith("本文提出了一种名为SELF-PARAM")
    assert summary_text(first, BACKGROUND).startswith("在动态环境中")
    assert summary_text(first, METHOD).startswith("SELF-PARAM方法通过训练目标")
    assert summary_text(first, RESULTS).startswith("实验在问答和对话推荐任务上进行")
    assert summary_text(first, FUTURE_WORK).startswith("未来的工作可能会探索")
    assert summary_text(first, ANALYSIS).startswith("本文提出了一种创新的方法")
    assert len(summary_text(first, CONTRIBUTIONS).split("\n")) == 3


def test_wrapped_paragraph_keeps_its_continuation():
    fourth = zh_digest.parse(seed_text("002")).papers[3]
    abstract = summary_text(fourth, ABSTRACT)
    assert "\n注释。最后" in abstract
    assert abstract.endswith("的性能。")
    assert not summary_text(fourth, BACKGROUND).startswith("注释")


def test_footer_does_not_leak_into_last_analysis():
    last = zh_digest.parse(seed_text("002")).papers[-1]
    analysis = summary_text(last, ANALYSIS)
    assert analysis.endswith("可扩展性。")
    assert "后记" not in analysis
    assert "三连击" not in analysis


# --- our sample --------------------------------------------------------------------------------------


def test_sample_digest_fields():
    digest = parse_sample()
    assert len(digest.papers) == 2
    assert (digest.title, digest.issued, digest.url) == ("", None, "")
    assert digest.warnings == []


@pytest.mark.parametrize(
    ("index", "title", "arxiv_id", "authors", "score", "link", "zh_title"),
    [pytest.param(index, *row, id=row[0][:20]) for index, row in enumerate(SAMPLE_PAPERS)],
)
def test_sample_paper(index, title, arxiv_id, authors, score, link, zh_title):
    paper = parse_sample().papers[index]
    assert_paper(paper, title, arxiv_id, authors, score, link, zh_title)
    for summary in paper.summaries:
        assert 0 < len(summary.text) < 300


def test_sample_full_width_colons_and_wrapped_abstract():
    attention = parse_sample().papers[1]
    assert summary_text(attention, ABSTRACT).startswith("本文提出完全基于注意力机制的Transformer架构")
    assert "\n取得了更好的翻译质量。" in summary_text(attention, ABSTRACT)
    assert "后记" not in summary_text(attention, ANALYSIS)


def as_html_text(text: str) -> str:
    """What html_to_text makes of the same post: blank lines, indentation, links shown by their text."""
    out = ["", "  "]
    for line in text.split("\n"):
        if line.startswith("http"):
            out.append(f"  arxiv_id(pdf) <{line}>")
        else:
            out.append(f"  {line} ")
        out.append("")
    return "\n".join(out)


def without_lines(digest: ParsedDigest) -> list[ParsedPaper]:
    return [dataclasses.replace(paper, line=0) for paper in digest.papers]


@pytest.mark.parametrize("source", ["sample", "002"])
def test_html_rendering_parses_to_the_same_papers(source):
    text = SAMPLE.read_text(encoding="utf-8") if source == "sample" else seed_text(source)
    assert without_lines(zh_digest.parse(as_html_text(text))) == without_lines(zh_digest.parse(text))


# --- entry recognition -------------------------------------------------------------------------------

ENTRY_TWO = """2. Attention Is All You Need
A Vaswani, N Shazeer
https://arxiv.org/abs/1706.03762
注意力就是你所需要的一切
摘要:
简短的摘要。
分析总结:
简短的总结。
"""


def test_numbered_lines_inside_a_section_are_not_entries():
    text = (
        "1. Mamba: Linear-Time Sequence Modeling with Selective State Spaces\n"
        "A Gu, T Dao\n"
        "https://arxiv.org/abs/2312.00752\n"
        "核心创新点:\n"
        "1. Selective state spaces\n"
        "2. Hardware-aware scan\n"
        "1. Looks like an entry\n"
        "Looks, Like, Authors\n"
        "https://github.com/state-spaces/mamba\n"
        "分析总结:\n"
        "简短的总结。\n"
    ) + ENTRY_TWO
    digest = zh_digest.parse(text)
    assert [p.title for p in digest.papers] == [SAMPLE_PAPERS[0][0], "Attention Is All You Need"]
    contributions = summary_text(digest.papers[0], CONTRIBUTIONS).split("\n")
    assert contributions[:2] == ["1. Selective state spaces", "2. Hardware-aware scan"]
    assert contributions[-1] == "https://github.com/state-spaces/mamba"
    assert digest.warnings == []


def test_author_tail_and_ellipsis():
    text = (
        "1. Mamba: Linear-Time Sequence Modeling with Selective State Spaces\n"
        "A Gu, T Dao, … - arXiv preprint arXiv:2312.00752v2, 2023\n"
        "https://example.org/mamba.pdf\n"
        "摘要：简短的摘要。\n"
        "推荐阅读指数：４\n"
        "分析总结：简短的总结。\n"
    )
    digest = zh_digest.parse(text)
    paper = digest.papers[0]
    assert paper.authors == ["A Gu", "T Dao"]
    assert paper.arxiv_id == "2312.00752"
    assert [(link.kind, link.url) for link in paper.links] == [("pdf", "https://example.org/mamba.pdf")]
    assert paper.scores == {"reading_index": 4.0}
    assert summary_text(paper, ABSTRACT) == "简短的摘要。"
    assert TITLE not in {s.kind for s in paper.summaries}
    assert [w.line for w in digest.warnings] == [2]


def test_link_wins_over_a_different_arxiv_tail_with_warning():
    text = ENTRY_TWO.replace("2. ", "1. ", 1).replace(
        "N Shazeer", "N Shazeer - arXiv preprint arXiv:1111.11111, 2017"
    )
    digest = zh_digest.parse(text)
    assert digest.papers[0].arxiv_id == "1706.03762"
    assert digest.papers[0].authors == ["A Vaswani", "N Shazeer"]
    assert [w.line for w in digest.warnings] == [1]


def test_numbering_gap_is_warned():
    digest = zh_digest.parse(ENTRY_TWO)
    assert len(digest.papers) == 1
    assert [w.line for w in digest.warnings] == [1]
    assert "numbering" in digest.warnings[0].message


def test_entry_without_english_title_is_skipped_with_warning():
    text = ENTRY_TWO.replace("2. Attention Is All You Need", "1. 注意力就是你所需要的一切") + ENTRY_TWO
    digest = zh_digest.parse(text)
    assert [p.title for p in digest.papers] == ["Attention Is All You Need"]
    assert [w.line for w in digest.warnings] == [1]


def test_score_without_number_is_warned():
    text = ENTRY_TWO.replace("2. ", "1. ", 1).replace("分析总结:", "推荐阅读指数: ★★★\n分析总结:")
    digest = zh_digest.parse(text)
    assert digest.papers[0].scores == {}
    assert [w.line for w in digest.warnings] == [7]


def test_markup_is_kept_as_plain_text():
    text = ENTRY_TWO.replace(
        "2. Attention Is All You Need", "1. <script>alert(1)</script> Attention"
    ).replace("简短的摘要。", "<b>加粗</b>的摘要<script>alert(2)</script>")
    paper = zh_digest.parse(text).papers[0]
    assert paper.title == "<script>alert(1)</script> Attention"
    assert summary_text(paper, ABSTRACT) == "<b>加粗</b>的摘要<script>alert(2)</script>"


# --- detection ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "expected"), [("000", False), ("001", False), ("002", True), ("003", False), ("004", False)]
)
def test_detect_seeds(prefix, expected):
    assert zh_digest.detect(seed_text(prefix)) is expected


def test_detect_sample_and_prose():
    assert zh_digest.detect(SAMPLE.read_text(encoding="utf-8"))
    assert not zh_digest.detect("")
    assert not zh_digest.detect("The reading index of this book is high.\nNo labels here.\n")
    assert not zh_digest.detect("推荐阅读指数很高的一本书。\n摘要写得不错。\n")


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n \n",
        "今天天气很好。\n我们去公园散步。\n",
        "1. A numbered line\n2. Another numbered line\n摘要: 不是论文。\n",
    ],
)
def test_no_entry_raises(text):
    with pytest.raises(DigestParseError, match="No Chinese paper digest"):
        zh_digest.parse(text)


def cut_at(text: str, marker: str, keep: int = 10) -> str:
    return text[: text.index(marker) + keep]


def test_cut_mid_entry_keeps_complete_entries_and_warns():
    # 002 cut inside the 4th entry's (line 64) 实验效果.
    text = seed_text("002")
    digest = zh_digest.parse(cut_at(text, "通过在多个代表性任务上的广泛评估"))
    assert [p.title for p in digest.papers] == [row[0] for row in SEED_002[:3]]
    assert [w.line for w in digest.warnings] == [64]
    assert "incomplete" in digest.warnings[0].message


def test_cut_in_first_entry_raises():
    text = SAMPLE.read_text(encoding="utf-8")
    with pytest.raises(DigestParseError, match="incomplete"):
        zh_digest.parse(cut_at(text, "选择性状态空间层"))


def test_last_entry_without_footer_but_complete_is_kept():
    text = seed_text("002")
    digest = zh_digest.parse(text[: text.index("后记")])
    assert len(digest.papers) == 5
    assert digest.warnings == []


def test_footer_before_entries_is_not_a_footer():
    text = "后记\n" + SAMPLE.read_text(encoding="utf-8")
    assert len(zh_digest.parse(text).papers) == 2


def test_html_links_on_title_authors_and_text():
    text = (
        "1. Mamba: Linear-Time Sequence Modeling with Selective State Spaces <https://arxiv.org/abs/2312.00752>\n"
        "A Gu <https://scholar.example.org/a>, T Dao <https://scholar.example.org/b>\n"
        "arxiv_id(pdf) <https://arxiv.org/pdf/2312.00752>\n"
        "中文标题\n"
        "摘要: 简短的摘要,代码见 <https://github.com/state-spaces/mamba>\n"
        "分析总结: 简短的总结。\n"
    )
    paper = zh_digest.parse(text).papers[0]
    assert paper.title == SAMPLE_PAPERS[0][0]
    assert paper.authors == ["A Gu", "T Dao"]
    assert paper.arxiv_id == "2312.00752"
    assert [(link.kind, link.url) for link in paper.links] == [
        ("paper", "https://arxiv.org/abs/2312.00752"),
        ("pdf", "https://arxiv.org/pdf/2312.00752"),
    ]
    assert summary_text(paper, ABSTRACT) == "简短的摘要,代码见"
