"""Bytes of an uploaded digest file -> normalised text, or a DigestParseError an editor can act on.

Order of trust: a byte-order mark, then strict UTF-8 (what nearly every file is), then charset-normalizer's
best guess (it recognises cp932/Shift_JIS, gb18030, euc-kr/cp949, big5 and honours a declared charset).
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

from charset_normalizer import from_bytes

from .parsed import DigestParseError
from .text import clean_characters

# UTF-32 marks first: the UTF-32-LE mark begins with the UTF-16-LE one.
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Text files carry almost no C0/C1 controls besides tab, newlines and form feed; binary decoded by
# accident (e.g. mostly-ASCII binary that happens to be valid UTF-8) carries many.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_MAX_CONTROL_RATIO = 0.05
# Invisible characters some editors put at the start of a file; they would stick to the first line.
_LEADING_INVISIBLES = "\ufeff\u200b\u200c\u200d\u2060"

_NOT_TEXT = "file looks binary, not a text or HTML digest"

_HTML_SNIFF_CHARS = 4096
_HTML_START = re.compile(
    r"\A\s*(?:<\?xml[^>]{0,200}>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title)\b",
    re.IGNORECASE | re.DOTALL,
)
_BLOCK_CLOSING_TAG = re.compile(
    r"</(?:p|div|article|section|li|ul|ol|table|h[1-6]|body|html)\s*>", re.IGNORECASE
)


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str  # Python codec name that decoded the bytes, e.g. "utf-8", "cp932", "utf-16-le"


def decode_bytes(data: bytes) -> DecodedText:
    """Decode an uploaded file; raises DigestParseError for empty, whitespace-only or binary input."""
    if not data:
        raise DigestParseError("file is empty")
    text, encoding = _decode(data)
    _reject_binary(text)  # before normalize_text removes the control characters it counts
    text = normalize_text(text)
    if not text.strip():
        raise DigestParseError("file is empty (it contains only whitespace)")
    return DecodedText(text=text, encoding=encoding)


def normalize_text(text: str) -> str:
    """LF newlines, no characters that text cannot store (text.clean_characters) and NFC (never NFKC:
    full-width forms are content); drop invisible leading marks. Leading/trailing blank lines are kept
    so that line numbers match the file."""
    return unicodedata.normalize("NFC", clean_characters(text)).lstrip(_LEADING_INVISIBLES)


def looks_like_html(text: str) -> bool:
    """True for a saved web page: a doctype/<html>/<head>/<body> start, or markup with closing block tags.
    Plain-text digests start with a title line, never with "<"."""
    head = text[:_HTML_SNIFF_CHARS].lstrip(_LEADING_INVISIBLES)
    if _HTML_START.match(head):
        return True
    return head.lstrip().startswith("<") and bool(_BLOCK_CLOSING_TAG.search(head))


def _decode(data: bytes) -> tuple[str, str]:
    for mark, encoding in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            return _decode_with_mark(data, encoding), encoding
    if b"\x00" in data:
        # No text encoding we accept without a byte-order mark puts NUL bytes in text.
        raise DigestParseError(f"{_NOT_TEXT} (it contains NUL bytes)")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:
        raise DigestParseError(f"{_NOT_TEXT} (no text encoding fits its bytes)")
    return str(best), best.encoding


def _decode_with_mark(data: bytes, encoding: str) -> str:
    try:
        # "utf-8-sig" drops its mark itself; the explicit-endian codecs keep it as U+FEFF, which
        # normalize_text drops.
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise DigestParseError(
            f"file starts with a {encoding} byte-order mark but is not valid {encoding} "
            f"(bad bytes at offset {error.start})"
        ) from None


def _reject_binary(text: str) -> None:
    if "\x00" in text:
        raise DigestParseError(f"{_NOT_TEXT} (it contains NUL characters)")
    controls = len(_CONTROL_CHARS.findall(text))
    if controls > _MAX_CONTROL_RATIO * len(text):
        raise DigestParseError(f"{_NOT_TEXT} ({controls} control characters in {len(text)})")
