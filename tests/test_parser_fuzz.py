"""Random and mutated digests never crash a parser: the only exception allowed is DigestParseError."""

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from papers.ingest.families import FAMILIES, read_digest
from papers.ingest.parsed import DigestParseError, ParsedDigest
from tests.conftest import SAMPLES
from tests.fuzzing import fuzz

SAMPLE_LINES = [
    line for path in sorted(SAMPLES.glob("*.txt")) for line in path.read_text(encoding="utf-8").splitlines()
]
FUZZ = fuzz(600)

# Lines that look like digest structure, so mutations reach deep into the parsers' state machines.
structural_line = st.sampled_from(SAMPLE_LINES)
noise_line = st.text(
    alphabet=st.sampled_from(
        list("要約著者カテゴリー論文紹介摘要推荐阅读指数:：-–/ >•.,[]()0123456789abcXYZ\t")
    ),
    max_size=40,
)
# A malformed URL under さらに読む made urllib raise "Invalid IPv6 URL" out of the PyTorchKR parser.
MALFORMED_URL_DIGEST = (
    "Sparse Routing for Tiny Experts\n論文紹介\nWe propose a sparse routing method.\n論文リンク\n"
    "https://arxiv.org/abs/2403.01234\nさらに読む\nhttps://[github.com/example/tiny-experts\n原文\n"
)
mutated_digest = st.lists(st.one_of(structural_line, noise_line, st.text(max_size=60)), max_size=80).map(
    "\n".join
)


def parse_or_refuse(module, text: str) -> None:
    try:
        parsed = module.parse(text)
    except DigestParseError as error:
        assert str(error), "a parse error must say what is wrong"
        return
    assert isinstance(parsed, ParsedDigest) and parsed.papers
    for paper in parsed.papers:
        assert paper.title.strip()
        assert all(summary.text.strip() for summary in paper.summaries)


@pytest.mark.parametrize("module", FAMILIES, ids=lambda module: module.FAMILY)
@FUZZ
@given(text=mutated_digest)
@example(text=MALFORMED_URL_DIGEST)
def test_mutated_digests_parse_or_raise_the_parsers_own_error(module, text):
    module.detect(text)
    parse_or_refuse(module, text)


@pytest.mark.parametrize("module", FAMILIES, ids=lambda module: module.FAMILY)
@FUZZ
@given(text=st.text(max_size=400))
def test_random_text_parses_or_raises_the_parsers_own_error(module, text):
    module.detect(text)
    parse_or_refuse(module, text)


@FUZZ
@given(data=st.one_of(st.binary(max_size=600), mutated_digest.map(lambda text: text.encode("utf-8"))))
def test_random_bytes_through_the_whole_pipeline_never_crash(data):
    try:
        read_digest(data)
    except DigestParseError as error:
        assert str(error)


@FUZZ
@given(
    body=st.lists(st.one_of(structural_line, st.text(max_size=30)), max_size=30),
    tags=st.lists(
        st.sampled_from(["p", "li", "blockquote", "div", "h2", "a", "nav", "script", "pre"]), max_size=30
    ),
)
@example(body=["論文紹介", '<a href="https://[github.com/example">code</a>'], tags=["p", "p"])
def test_mutated_html_pages_never_crash(body, tags):
    html = "<html><body>" + "".join(f"<{tag}>{line}</{tag}>" for tag, line in zip(tags, body, strict=False))
    try:
        read_digest((html + "</body></html>").encode("utf-8"))
    except DigestParseError as error:
        assert str(error)
