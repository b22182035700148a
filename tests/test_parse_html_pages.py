"""Saved HTML pages of each digest family, end to end: bytes -> decode_bytes -> html_to_text -> parse.

The fixtures in tests/fixtures/html/ are ours (real paper titles, ids and authors; our own short summary
sentences). Each test states the facts the page must parse to, and that none of the page's chrome
(navigation, sidebars, comments, footers, scripts) ends up in any paper field.

Pure tests: no database, no Django (run with ``-p no:django``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from types import ModuleType

import pytest

from papers.ingest import arxiv_jp, families, pytorchkr, ronbun_gaiyou, zh_digest
from papers.ingest.decode import decode_bytes, looks_like_html
from papers.ingest.html import html_to_text
from papers.ingest.parsed import (
    ABSTRACT,
    ANALYSIS,
    BACKGROUND,
    CONTRIBUTIONS,
    FUTURE_WORK,
    METHOD,
    RESULTS,
    SUMMARY,
    TITLE,
    ParsedDigest,
)
from tests.conftest import FIXTURES
from tests.test_html_to_text import FIXTURE_CHROME

HTML_FIXTURES = FIXTURES / "html"


@dataclass(frozen=True)
class Paper:
    title: str
    arxiv_id: str | None
    authors: tuple[str, ...]
    summaries: frozenset[tuple[str, str]]  # (language, kind)
    scores: dict[str, float] = field(default_factory=dict)
    categories: tuple[str, ...] = ()
    published: date | None = None
    links: tuple[str, ...] = ()


@dataclass(frozen=True)
class Page:
    fixture: str
    family: ModuleType
    encodings: frozenset[str]
    papers: tuple[Paper, ...]
    title: str = ""
    issued: date | None = None
    url: str = ""
    chrome: tuple[str, ...] = ()  # strings of the page's chrome, beyond FIXTURE_CHROME


PYTORCHKR_SUMMARIES = frozenset(
    {("ja", TITLE), ("ja", SUMMARY), ("en", SUMMARY), ("ja", ABSTRACT), ("en", ABSTRACT)}
)
ZH_KINDS = (TITLE, ABSTRACT, BACKGROUND, METHOD, CONTRIBUTIONS, RESULTS, FUTURE_WORK, ANALYSIS)
ZH_SUMMARIES = frozenset(("zh", kind) for kind in ZH_KINDS)
ARXIV_JP_SUMMARIES = frozenset({("ja", ABSTRACT), ("en", ABSTRACT)})

ARXIV_JP_PAPERS = (
    Paper(
        "Assessing Episodic Memory in LLMs with Sequence Order Recall Tasks",
        "2410.08133",
        (
            "Mathis Pink", "Vy A. Vo", "Qinyuan Wu", "Jianing Mu", "Javier S. Turek", "Uri Hasson",
            "Kenneth A. Norman", "Sebastian Michelmann", "Alexander Huth", "Mariya Toneva",
        ),
        ARXIV_JP_SUMMARIES,
        categories=("cs.AI", "cs.CL", "cs.LG"),
        published=date(2024, 10, 10),
        links=("https://arxiv.org/pdf/2410.08133",),
    ),
    Paper(
        "Steering Masked Discrete Diffusion Models via Discrete Denoising Posterior Prediction",
        "2410.08134",
        (
            "Jarrid Rector-Brooks", "Mohsin Hasan", "Zhangzhi Peng", "Zachary Quinn", "Chenghao Liu",
            "Sarthak Mittal", "Nouha Dziri", "Michael Bronstein", "Yoshua Bengio", "Pranam Chatterjee",
            "Alexander Tong", "Avishek Joey Bose",
        ),
        ARXIV_JP_SUMMARIES,
        categories=("cs.AI", "cs.LG"),
        published=date(2024, 10, 10),
        links=("https://arxiv.org/pdf/2410.08134",),
    ),
)  # fmt: skip
ARXIV_JP_CHROME = ("コメントする", "arxiv.jp/category", "#respond", "提供元", "arxiv.jp, Google")

PAGES = [
    Page(
        "discourse_pytorchkr.html",
        pytorchkr,
        frozenset({"utf-8"}),
        (
            Paper(
                "Transformers are SSMs: Generalized Models and Efficient Algorithms Through Structured State "
                "Space Duality",
                "2405.21060",
                (),
                PYTORCHKR_SUMMARIES,
                links=(
                    "https://arxiv.org/abs/2405.21060",
                    "https://x.com/_albertgu/status/1797651223035904355",
                ),
            ),
            Paper(
                "Scalable MatMul-free Language Modeling",
                "2406.02528",
                (),
                PYTORCHKR_SUMMARIES,
                links=(
                    "https://arxiv.org/abs/2406.02528",
                    "https://github.com/ridgerchu/matmulfreellm",
                    "https://x.com/omarsar0/status/1798373841741185261",
                ),
            ),
            Paper(
                "Buffer of Thoughts: Thought-Augmented Reasoning with Large Language Models",
                "2406.04271",
                (),
                PYTORCHKR_SUMMARIES,
                links=(
                    "https://arxiv.org/pdf/2406.04271",
                    "https://github.com/YangLing0818/buffer-of-thought-llm",
                ),
            ),
        ),
        title="[2024/06/03 ~ 06/09] 今週の主要なML論文 (Top ML Papers of the Week)",
        issued=date(2024, 6, 9),
        url="https://nlp.elvissaravia.com/p/top-ml-papers-of-the-week-90f",
        chrome=("DAIR.AI", "この記事はGPTモデルで", "原文"),
    ),
    Page(
        "wordpress_zh_digest.html",
        zh_digest,
        frozenset({"utf-8"}),
        (
            Paper(
                "Self-Updatable Large Language Models with Parameter Integration",
                "2410.00487",
                ("Y Wang", "X Liu", "X Chen", "S O’Brien", "J Wu", "J McAuley"),
                ZH_SUMMARIES,
                scores={"reading_index": 3.5},
                links=("https://arxiv.org/pdf/2410.00487",),
            ),
            Paper(
                "CodeJudge: Evaluating Code Generation with Large Language Models",
                "2410.02184",
                ("W Tong", "T Zhang"),
                ZH_SUMMARIES,
                scores={"reading_index": 4.0},
                links=("https://arxiv.org/pdf/2410.02184",),
            ),
        ),
        chrome=("后记", "点赞", "发布于", "分类", "论文速递 <", "本期挑选"),
    ),
    Page(
        "blog_arxiv_jp.html",
        arxiv_jp,
        frozenset({"utf-8"}),
        ARXIV_JP_PAPERS,
        issued=date(2024, 10, 10),
        chrome=ARXIV_JP_CHROME,
    ),
    Page(
        "shift_jis_arxiv_jp.html",
        arxiv_jp,
        frozenset({"cp932", "shift_jis"}),
        ARXIV_JP_PAPERS,
        issued=date(2024, 10, 10),
        chrome=ARXIV_JP_CHROME,
    ),
    Page(
        "ronbun_gaiyou.html",
        ronbun_gaiyou,
        frozenset({"utf-8"}),
        (
            Paper(
                "Self-play with Execution Feedback: Improving Instruction-following Capabilities of Large "
                "Language Models",
                "2406.13542",
                (
                    "Guanting Dong",
                    "Keming Lu",
                    "Chengpeng Li",
                    "Tingyu Xia",
                    "Bowen Yu",
                    "Chang Zhou",
                    "Jingren Zhou",
                ),
                frozenset({("ja", TITLE), ("ja", SUMMARY), ("en", ABSTRACT), ("ja", ABSTRACT)}),
                scores={"reference_score": 54.1},
                published=date(2024, 6, 19),
                links=("http://arxiv.org/abs/2406.13542v1",),
            ),
        ),
        title="論文の概要: Self-play with Execution Feedback: Improving Instruction-following "
        "Capabilities of Large Language Models",
        chrome=("関連論文リストは", "ステータス", "処理完了", "License", "nonexclusive-distrib"),
    ),
    Page(
        "script_in_title.html",
        arxiv_jp,
        frozenset({"utf-8"}),
        (
            Paper(
                "Robust <script>alert(1)</script> Parsing of <b>Markup</b> & Text",
                "2410.09999",
                ("Alice Example", "Bob O'Example"),
                ARXIV_JP_SUMMARIES,
                categories=("cs.CL",),
                published=date(2024, 10, 11),
                links=("https://arxiv.org/pdf/2410.09999",),
            ),
        ),
        issued=date(2024, 10, 11),
        chrome=("REAL_SCRIPT_MUST_NOT_LEAK",),
    ),
]


def read_page(page: Page) -> tuple[str, str, ParsedDigest]:
    decoded = decode_bytes((HTML_FIXTURES / page.fixture).read_bytes())
    assert looks_like_html(decoded.text)
    text = html_to_text(decoded.text)
    return decoded.encoding, text, page.family.parse(text)


def strings_in(value: object) -> Iterator[str]:
    """Every string held by a parsed paper, however deeply nested."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value):
        for item in dataclasses.fields(value):
            yield from strings_in(getattr(value, item.name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings_in(key)
            yield from strings_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings_in(item)


@pytest.fixture(params=PAGES, ids=[page.fixture for page in PAGES])
def page(request: pytest.FixtureRequest) -> Page:
    return request.param


def test_page_is_detected_as_its_family(page: Page) -> None:
    _, text, _ = read_page(page)
    assert page.family.detect(text)
    assert families.detect_family(text) is page.family


def test_page_encoding(page: Page) -> None:
    encoding, _, _ = read_page(page)
    assert encoding in page.encodings


def test_page_digest_fields(page: Page) -> None:
    _, _, digest = read_page(page)
    assert digest.family == page.family.FAMILY
    assert (digest.title, digest.issued, digest.url) == (page.title, page.issued, page.url)
    assert digest.warnings == []


def test_page_papers(page: Page) -> None:
    _, _, digest = read_page(page)
    assert [paper.title for paper in digest.papers] == [paper.title for paper in page.papers]
    for parsed, expected in zip(digest.papers, page.papers, strict=True):
        assert parsed.arxiv_id == expected.arxiv_id, parsed.title
        assert tuple(parsed.authors) == expected.authors, parsed.title
        assert {(summary.language, summary.kind) for summary in parsed.summaries} == expected.summaries
        assert all(summary.text.strip() for summary in parsed.summaries), parsed.title
        assert parsed.scores == expected.scores, parsed.title
        assert tuple(parsed.categories) == expected.categories, parsed.title
        assert parsed.published == expected.published, parsed.title
        assert tuple(link.url for link in parsed.links) == expected.links, parsed.title


def test_page_chrome_never_reaches_a_paper(page: Page) -> None:
    _, _, digest = read_page(page)
    chrome = [*FIXTURE_CHROME.get(page.fixture.replace("shift_jis_", "blog_"), []), *page.chrome]
    for paper in digest.papers:
        leaked = sorted({piece for text in strings_in(paper) for piece in chrome if piece in text})
        assert leaked == [], paper.title


def test_summary_text_reads_like_the_page() -> None:
    """Spot checks that the text of a summary is whole: quote markers gone, <br> lines kept, bullets kept."""
    _, _, pytorch = read_page(PAGES[0])
    ssm = {(s.language, s.kind): s.text for s in pytorch.papers[0].summaries}
    assert ssm[("en", ABSTRACT)] == (
        "We relate SSMs and attention through decompositions of structured matrices.\n"
        "From this duality we derive a new architecture called Mamba-2."
    )
    assert pytorch.papers[0].abstract == ssm[("en", ABSTRACT)]
    _, _, zh = read_page(PAGES[1])
    codejudge = {s.kind: s.text for s in zh.papers[1].summaries}
    assert codejudge[CONTRIBUTIONS] == "- 不依赖测试用例的语义评估框架。\n- 两种引导模型“慢思考”的提示方法。"
    assert codejudge[TITLE] == "CodeJudge:用大语言模型评判生成的代码"
    _, _, jp = read_page(PAGES[2])
    ja_abstract = next(s.text for s in jp.papers[0].summaries if s.language == "ja")
    assert ja_abstract.count("\n") == 2 and ja_abstract.startswith("LLMの記憶を測る")


def test_ronbun_gaiyou_related_papers() -> None:
    _, _, digest = read_page(PAGES[4])
    related = [
        (item.title, item.score, item.published, item.arxiv_id, len(item.summaries))
        for item in digest.papers[0].related
    ]
    assert related == [
        (
            "Self-Play Fine-Tuning Converts Weak Language Models to Strong Language Models",
            52.9,
            date(2024, 1, 2),
            "2401.01335",
            1,
        ),
        ("LeTI: Learning to Generate from Textual Interactions", 60.4, date(2023, 5, 17), "2305.10314", 1),
    ]
    first_summary = digest.papers[0].related[0].summaries[0]
    assert first_summary.language == "ja"
    assert first_summary.text.split("\n") == [
        "自分自身の過去の出力と競わせることで、追加の人手データなしにモデルを改善する。",
        "弱いモデルから始めても性能が着実に向上することを示した。",
    ]


def test_read_digest_runs_the_whole_pipeline_on_html() -> None:
    read = families.read_digest((HTML_FIXTURES / "shift_jis_arxiv_jp.html").read_bytes())
    assert read.was_html and read.encoding == "cp932"
    assert [paper.arxiv_id for paper in read.parsed.papers] == ["2410.08133", "2410.08134"]
