"""Small text helpers shared by the digest parsers and the importer."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import urlsplit

from papers.identifiers import ARXIV_NEW_ID, ARXIV_OLD_ID, canonical_arxiv_id

from .parsed import ParsedDigest

_ARXIV_URL = re.compile(
    rf"arxiv\.org/(?:abs|pdf|html)/(?P<id>{ARXIV_NEW_ID}|{ARXIV_OLD_ID})(?:v\d+)?", re.IGNORECASE
)
_ARXIV_BARE = re.compile(rf"(?:arXiv:\s*)?\b(?P<id>{ARXIV_NEW_ID})(?:v\d+)?\b", re.IGNORECASE)

URL_PATTERN = re.compile(r"https?://[^\s<>\"'）)」』]+")

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_KANA = r"\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
_HANGUL = r"\uac00-\ud7af\u1100-\u11ff\u3130-\u318f"
_KANA_RE = re.compile(f"[{_KANA}]")
_HANGUL_RE = re.compile(f"[{_HANGUL}]")
_HAN_RE = re.compile(f"[{_HAN}]")
_CJK_RE = re.compile(f"[{_HAN}{_KANA}{_HANGUL}]")
_LATIN_RE = re.compile(r"[A-Za-z]")


# What no stored text holds: C0 and C1 controls but tab and newline (they only arrive by accident, and XML
# 1.0 cannot carry most of them), the Unicode noncharacters (U+FDD0-U+FDEF and the last two code points of
# every plane, not well-formed in XML) and lone surrogates (no encoding can write them).
_NONCHARACTERS = r"\ufdd0-\ufdef" + "".join(rf"\U{plane:04X}FFFE\U{plane:04X}FFFF" for plane in range(17))
_UNSTORABLE = re.compile(rf"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff{_NONCHARACTERS}]")


def clean_characters(text: str) -> str:
    """LF newlines, and none of the characters no stored text may hold (controls but tab and newline,
    noncharacters, lone surrogates). Decoding applies it to every file, clean_text to any other text."""
    return _UNSTORABLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def clean_text(text: str) -> str:
    """Stored form of any text: clean_characters, NFC (keeps CJK and full-width forms as written), trimmed."""
    return unicodedata.normalize("NFC", clean_characters(text)).strip()


def collapse_spaces(text: str) -> str:
    return re.sub(r"\s+", " ", clean_text(text))


def arxiv_id_from_url(url: str) -> str | None:
    match = _ARXIV_URL.search(url)
    return canonical_arxiv_id(match.group("id")) if match else None


def find_arxiv_id(text: str) -> str | None:
    """The first arXiv id in ``text`` (URL or ``arXiv:NNNN.NNNNN``), version stripped."""
    return arxiv_id_from_url(text) or (m.group("id") if (m := _ARXIV_BARE.search(text)) else None)


def normalize_arxiv_id(value: str) -> str | None:
    """``"arXiv:2406.13542v1"`` -> ``"2406.13542"``, ``"arXiv:Hep-Th/9901002v2"`` -> ``"hep-th/9901002"``;
    ``None`` when ``value`` holds no arXiv id."""
    value = value.strip()
    found = arxiv_id_from_url(value)
    if found:
        return found
    value = re.sub(r"^arxiv:\s*", "", value, flags=re.IGNORECASE)
    value = re.sub(r"v\d+$", "", value, flags=re.IGNORECASE)
    return canonical_arxiv_id(value)


def find_urls(text: str) -> list[str]:
    return [url.rstrip(".,;:") for url in URL_PATTERN.findall(text)]


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be kept as a link (it must parse, be http(s) and name a host), or None."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number from 0 to 65535
    except ValueError as error:  # e.g. "Invalid IPv6 URL" for "https://[github.com/…"
        return str(error)
    if parts.scheme.lower() not in ("http", "https"):
        return "not an http(s) address"
    if not parts.hostname:
        return "no host name"
    return None


def usable_urls(urls: Iterable[str], line: int, digest: ParsedDigest) -> list[str]:
    """``urls`` without the malformed ones, each of which becomes a warning on ``line``: every parser
    passes the URLs it keeps or looks into through here, so that none can make it fail."""
    usable = []
    for url in urls:
        if (problem := url_problem(url)) is None:
            usable.append(url)
        else:
            digest.warn(line, f"skipped a malformed URL {url!r} ({problem})")
    return usable


def has_cjk(text: str) -> bool:
    return bool(_CJK_RE.search(text))


def detect_language(text: str, cjk_default: str = "ja") -> str:
    """Language of a paragraph by script: Hangul -> ko, kana -> ja, Han only -> ``cjk_default``,
    mostly Latin -> en. Han-only text is ambiguous between ja and zh, so the family decides."""
    if _HANGUL_RE.search(text):
        return "ko"
    if _KANA_RE.search(text):
        return "ja"
    cjk = len(_HAN_RE.findall(text))
    latin = len(_LATIN_RE.findall(text))
    if cjk and cjk * 3 >= latin:
        return cjk_default
    return "en"


def split_by_script(paragraphs: list[str], cjk_language: str) -> dict[str, str]:
    """Group paragraphs of a block that mixes a translation and its English original, by language,
    keeping order within each language."""
    grouped: dict[str, list[str]] = {}
    for paragraph in paragraphs:
        paragraph = paragraph.strip()
        if paragraph:
            grouped.setdefault(detect_language(paragraph, cjk_language), []).append(paragraph)
    return {language: "\n".join(parts) for language, parts in grouped.items()}


# html_to_text writes a link whose text is not its URL as "text <https://...>".
_LINK_MARK = re.compile(r"\s*<(https?://[^\s<>]+)>")


def split_links(line: str) -> tuple[str, list[str]]:
    """``"arxiv_id(pdf) <https://arxiv.org/pdf/2410.07869>"`` -> ``("arxiv_id(pdf)", [url])``."""
    urls = _LINK_MARK.findall(line)
    return _LINK_MARK.sub("", line).strip(), urls
