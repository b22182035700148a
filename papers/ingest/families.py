"""From a file's bytes to a parsed digest: decode, turn HTML into text, detect the family by content."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from papers.ingest import arxiv_jp, pytorchkr, ronbun_gaiyou, zh_digest
from papers.ingest.decode import decode_bytes, looks_like_html
from papers.ingest.html import html_to_text
from papers.ingest.parsed import DigestParseError, ParsedDigest

# Each module: FAMILY, LABEL, detect(text) -> bool, parse(text) -> ParsedDigest.
# More specific formats first: a 論文の概要 page quotes arXiv abstracts much like arxiv.jp does.
FAMILIES: tuple[ModuleType, ...] = (ronbun_gaiyou, arxiv_jp, zh_digest, pytorchkr)


@dataclass(frozen=True)
class SourceInfo:
    slug: str
    name: str
    url: str
    language: str


SOURCES: dict[str, SourceInfo] = {
    arxiv_jp.FAMILY: SourceInfo("arxiv-jp", "arxiv.jp", "https://arxiv.jp/", "ja"),
    pytorchkr.FAMILY: SourceInfo(
        "pytorchkr-top-ml-papers", "PyTorchKR: Top ML Papers of the Week", "https://discuss.pytorch.kr/", "ja"
    ),
    zh_digest.FAMILY: SourceInfo("zh-paper-digest", "Chinese paper digest (推荐阅读指数)", "", "zh"),
    ronbun_gaiyou.FAMILY: SourceInfo("ronbun-no-gaiyou", "論文の概要", "", "ja"),
}


@dataclass
class ReadDigest:
    parsed: ParsedDigest
    encoding: str
    was_html: bool


def known_families() -> str:
    return "; ".join(f"{module.LABEL} [{module.FAMILY}]" for module in FAMILIES)


def detect_family(text: str) -> ModuleType:
    for module in FAMILIES:
        if module.detect(text):
            return module
    raise DigestParseError(f"not a known digest format. Known families: {known_families()}")


def read_digest(data: bytes) -> ReadDigest:
    """Parse one digest file. Raises DigestParseError with a message fit for an editor."""
    decoded = decode_bytes(data)
    was_html = looks_like_html(decoded.text)
    text = html_to_text(decoded.text) if was_html else decoded.text
    family = detect_family(text)
    return ReadDigest(parsed=family.parse(text), encoding=decoded.encoding, was_html=was_html)
