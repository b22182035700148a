"""Six thousand more hostile digests: byte-level mutations of the real samples, other encodings, and
HTML with markup, through every parser and the whole bytes→digest pipeline. The only exception allowed
is DigestParseError (with a message). Together with tests/test_parser_fuzz.py (6,000 cases) a run sees
12,000 generated digests; docs/reliability.md ("Hostile input") reports the figures."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papers.ingest.families import FAMILIES, read_digest
from papers.ingest.parsed import DigestParseError
from tests.conftest import SAMPLES
from tests.fuzzing import fuzz
from tests.test_parser_fuzz import SAMPLE_LINES, parse_or_refuse

TEXT_BYTES = [path.read_bytes() for path in sorted(SAMPLES.glob("*.txt"))]
SAMPLE_BYTES = [path.read_bytes() for path in sorted(SAMPLES.glob("*"))]  # and the .html page


def _mutate(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """Each edit: at a position, delete some bytes and insert others (a flip, a cut, a splice)."""
    buffer = bytearray(data)
    for position, deleted, inserted in edits:
        at = position % (len(buffer) + 1)
        buffer[at : at + deleted] = inserted
    return bytes(buffer)


edit = st.tuples(
    st.integers(min_value=0, max_value=1 << 20),
    st.integers(min_value=0, max_value=64),
    st.one_of(
        st.binary(max_size=8),
        st.sampled_from(
            [
                b"\x00",
                b"\xff\xfe",
                b"\xef\xbb\xbf",
                b"\r",
                b"\r\n",
                b"\n\n\n",
                b"\xe8\xa6\x81\xe7\xb4\x84",
                b"<",
            ]
        ),
    ),
)
mutated_sample = st.builds(_mutate, st.sampled_from(SAMPLE_BYTES), st.lists(edit, min_size=1, max_size=12))
mutated_text = st.builds(_mutate, st.sampled_from(TEXT_BYTES), st.lists(edit, min_size=1, max_size=12))


def _cut(data: bytes, start: int, length: int) -> bytes:
    return data[start % (len(data) + 1) :][:length]


spliced_samples = st.lists(
    st.builds(_cut, st.sampled_from(SAMPLE_BYTES), st.integers(0, 1 << 16), st.integers(0, 4000)),
    min_size=1,
    max_size=4,
).map(b"".join)

ENCODINGS = [
    "utf-8-sig",
    "utf-16",
    "utf-16-le",
    "utf-16-be",
    "gb18030",
    "shift_jis",
    "euc-kr",
    "euc-jp",
    "latin-1",
]
digest_text = st.lists(st.one_of(st.sampled_from(SAMPLE_LINES), st.text(max_size=40)), max_size=60).map(
    "\n".join
)

HOSTILE_MARKUP = [
    "<script>window.__xss = 1</script>",
    '<img src=x onerror="window.__xss=2">',
    '"><svg onload=window.__xss=3>',
    '<a href="javascript:alert(1)">x</a>',
    "<!--",
    "-->",
    "<![CDATA[",
    "&#0;",
    "&#xD800;",
    "&nbsp;&amp;&lt;&gt;&bogus;",
    "<?xml version='1.0'?>",
    "<!DOCTYPE html>",
    "<style>p{}</style>",
    "<br/><br><hr>",
    "<table><tr><td>",
    "</div></div></div>",
]


@pytest.mark.parametrize("module", FAMILIES, ids=lambda module: module.FAMILY)
@fuzz(500)
@given(data=mutated_text)
def test_byte_mutated_samples_through_each_parser(module, data):
    text = data.decode("utf-8", errors="replace")
    module.detect(text)
    parse_or_refuse(module, text)


@fuzz(1000)
@given(data=st.one_of(mutated_sample, spliced_samples))
def test_byte_mutated_and_spliced_samples_through_the_pipeline(data):
    try:
        read_digest(data)
    except DigestParseError as error:
        assert str(error)


@fuzz(1500)
@given(text=digest_text, encoding=st.sampled_from(ENCODINGS))
def test_digests_in_other_encodings_through_the_pipeline(text, encoding):
    try:
        read_digest(text.encode(encoding, errors="replace"))
    except DigestParseError as error:
        assert str(error)


@fuzz(1500)
@given(
    lines=st.lists(st.one_of(st.sampled_from(SAMPLE_LINES), st.sampled_from(HOSTILE_MARKUP)), max_size=50),
    wrap=st.booleans(),
)
def test_digests_full_of_markup_through_the_pipeline(lines, wrap):
    body = "\n".join(lines)
    page = f"<html><body><p>{body}</p></body></html>" if wrap else body
    try:
        read_digest(page.encode("utf-8"))
    except DigestParseError as error:
        assert str(error)
