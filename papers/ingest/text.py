"""Small text helpers shared by the digest parsers and the importer."""

from __future__ import annotations

import re
import unicodedata

ARXIV_NEW_ID = r"\d{4}\.\d{4,5}"
ARXIV_OLD_ID = r"[a-z][a-z\-]+(?:\.[A-Z]{2})?/\d{7}"
_ARXIV_URL = re.compile(
    rf"arxiv\.org/(?:abs|pdf|html)/(?P<id>{ARXIV_NEW_ID}|{ARXIV_OLD_ID})(?:v\d+)?", re.IGNORECASE
)
_ARXIV_BARE = re.compile(rf"(?:arXiv:\s*)?\b(?P<id>{ARXIV_NEW_ID})(?:v\d+)?\b", re.IGNORECASE)
ARXIV_ID_PATTERN = rf"^(?:{ARXIV_NEW_ID}|{ARXIV_OLD_ID})$"

URL_PATTERN = re.compile(r"https?://[^\s<>\"'）)」』]+")

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_KANA = r"\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"
_HANGUL = r"\uac00-\ud7af\u1100-\u11ff\u3130-\u318f"
_KANA_RE = re.compile(f"[{_KANA}]")
_HANGUL_RE = re.compile(f"[{_HANGUL}]")
_HAN_RE = re.compile(f"[{_HAN}]")
_CJK_RE = re.compile(f"[{_HAN}{_KANA}{_HANGUL}]")
_LATIN_RE = re.compile(r"[A-Za-z]")


def clean_text(text: str) -> str:
    """Stored form of any text: NFC (keeps CJK and full-width forms as written), LF newlines, trimmed."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return text.strip()


def collapse_spaces(text: str) -> str:
    return re.sub(r"\s+", " ", clean_text(text))


def match_key(text: str) -> str:
    """Key for matching, never for display: NFKC, casefolded, punctuation and spacing removed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def arxiv_id_from_url(url: str) -> str | None:
    match = _ARXIV_URL.search(url)
    return match.group("id") if match else None


def find_arxiv_id(text: str) -> str | None:
    """The first arXiv id in ``text`` (URL or ``arXiv:NNNN.NNNNN``), version stripped."""
    return arxiv_id_from_url(text) or (m.group("id") if (m := _ARXIV_BARE.search(text)) else None)


def normalize_arxiv_id(value: str) -> str | None:
    """``"arXiv:2406.13542v1"`` -> ``"2406.13542"``; ``None`` when ``value`` holds no arXiv id."""
    value = value.strip()
    found = arxiv_id_from_url(value)
    if found:
        return found
    value = re.sub(r"^arxiv:\s*", "", value, flags=re.IGNORECASE)
    value = re.sub(r"v\d+$", "", value)
    return value if re.match(ARXIV_ID_PATTERN, value) else None


def find_urls(text: str) -> list[str]:
    return [url.rstrip(".,;:") for url in URL_PATTERN.findall(text)]


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
