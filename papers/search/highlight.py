"""Highlighted snippets: the part of a text a list shows under a paper, with what the reader searched for
in ``<mark>``. The query is read the way the search reads it (papers.search.text.positive_terms), and CJK
is matched as typed, as a substring, since the snippet shows the text, not its bigrams."""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Iterator

from django.utils.safestring import SafeString, mark_safe

from papers.search.text import positive_terms

# Letters of alphabets that separate words with spaces (Latin, Greek, Cyrillic), digits and "_": the
# highlighter's word boundaries and prefix rule apply to them. (A short explicit class: regexes with
# "\\w minus CJK" classes take milliseconds each to compile.)
_LATIN = (
    "[0-9A-Za-z_\u00aa\u00b5\u00ba\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02af"  # Latin
    "\u0370-\u03ff\u0400-\u052f\u1e00-\u1fff]"  # Greek, Cyrillic, Latin/Greek extended
)
_LATIN_CHAR = re.compile(_LATIN)
_ELLIPSIS = "…"

#: The highlighter marks the first this many wanted terms of a query (positive_terms has them all).
MAX_HIGHLIGHT_TERMS = 32
_STEM_SUFFIXES = ("ing", "ed", "es", "s")


def _light_stem(word: str) -> str:
    """Cut one common English suffix (models → model, modeling → model), keeping at least 4 letters."""
    lowered = word.lower()
    for suffix in _STEM_SUFFIXES:
        if lowered.endswith(suffix) and len(word) - len(suffix) >= 4:
            if suffix == "s" and lowered.endswith("ss"):
                break
            return word[: -len(suffix)]
    return word


def _word_pattern(word: str) -> str:
    starts_latin = bool(_LATIN_CHAR.match(word[0]))
    ends_latin = bool(_LATIN_CHAR.match(word[-1]))
    core, tail = word, ""
    if ends_latin:
        if word.isascii() and word.isalpha():
            core = _light_stem(word)
        # Prefix rule: "model" also marks "models" and "modeling"; short words must match whole.
        tail = f"{_LATIN}*" if len(core) >= 3 else f"(?!{_LATIN})"
    head = f"(?<!{_LATIN})" if starts_latin else ""
    return head + re.escape(core) + tail


@functools.lru_cache(maxsize=64)
def _highlight_regex(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    patterns = []
    # At one position, the longer term wins.
    for term in sorted(terms[:MAX_HIGHLIGHT_TERMS], key=len, reverse=True):
        words = term.split()
        patterns.append(r"\W*".join(_word_pattern(word) for word in words))
    if not patterns:
        return None
    return re.compile("|".join(patterns), re.IGNORECASE)


def _normalised_with_map(text: str) -> tuple[str, list[int], list[int]]:
    """NFKC of ``text`` plus, for each of its characters, the span of ``text`` it came from.

    Normalises cluster by cluster (a character with the marks that combine with it, like ``ﾋﾟ``), so a
    match found in the normalised text maps back to whole characters of the original."""
    if unicodedata.is_normalized("NFKC", text):
        return text, list(range(len(text))), list(range(1, len(text) + 1))
    normalised: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and _combines(text[j]):
            j += 1
        piece = _nfkc_char(text[i]) if j == i + 1 else unicodedata.normalize("NFKC", text[i:j])
        normalised.append(piece)
        starts.extend([i] * len(piece))
        ends.extend([j] * len(piece))
        i = j
    return "".join(normalised), starts, ends


@functools.lru_cache(maxsize=8192)
def _nfkc_char(ch: str) -> str:
    return unicodedata.normalize("NFKC", ch)


@functools.lru_cache(maxsize=8192)
def _combines(ch: str) -> bool:
    """Does ``ch`` attach to the character before it (combining marks, ﾞ ﾟ, Hangul vowel/final jamo)?"""
    if unicodedata.combining(ch) or "\u1160" <= ch <= "\u11ff":
        return True
    decomposed = unicodedata.normalize("NFKD", ch)
    return bool(decomposed) and unicodedata.combining(decomposed[0]) != 0


def _iter_match_spans(text: str, terms: list[str]) -> Iterator[tuple[int, int]]:
    """Spans of ``text`` (in order, merged where they touch) that the terms match, found lazily."""
    regex = _highlight_regex(tuple(terms))
    if regex is None:
        return
    normalised, starts, ends = _normalised_with_map(text)
    pending: tuple[int, int] | None = None
    for match in regex.finditer(normalised):
        if match.end() == match.start():
            continue
        start, end = starts[match.start()], ends[match.end() - 1]
        if pending and start <= pending[1]:
            pending = (pending[0], max(end, pending[1]))
            continue
        if pending:
            yield pending
        pending = (start, end)
    if pending:
        yield pending


def _window(text: str, first: tuple[int, int] | None, max_chars: int) -> tuple[int, int]:
    """The part of ``text`` to show: all of it if short enough, else ``max_chars`` around ``first``."""
    n = len(text)
    if n <= max_chars:
        return 0, n
    first_start, first_end = first or (0, 0)
    lo = max(0, first_start - max_chars // 3)
    hi = min(n, lo + max_chars)
    lo = max(0, hi - max_chars)
    # Prefer not to cut a Latin word in half, if a space is near and the first match stays inside.
    if lo > 0 and _LATIN_CHAR.match(text[lo - 1]) and _LATIN_CHAR.match(text[lo]):
        space = text.find(" ", lo, min(first_start, lo + 20))
        if space != -1:
            lo = space + 1
    if hi < n and _LATIN_CHAR.match(text[hi - 1]) and _LATIN_CHAR.match(text[hi]):
        space = text.rfind(" ", max(first_end, hi - 20), hi)
        if space != -1:
            hi = space
    # Never separate a character from the marks combining with it.
    while lo < hi and _combines(text[lo]):
        lo += 1
    while hi < n and hi > lo and _combines(text[hi]):
        hi -= 1
    while lo < hi and text[lo].isspace():
        lo += 1
    while hi > lo and text[hi - 1].isspace():
        hi -= 1
    return lo, hi


def highlight(text: str, q: str, *, max_chars: int = 240) -> SafeString:
    """An HTML-safe snippet of ``text`` with the query's wanted terms in ``<mark>…</mark>``.

    Latin words match case-insensitively as word prefixes after cutting a common English suffix
    (``models`` marks ``model``, ``modeling``); words under three letters and CJK words match as typed, CJK
    anywhere (as a substring). Both sides are compared after NFKC, but the original characters are shown.

    A text longer than ``max_chars`` is cut to a window of at most ``max_chars`` characters around the first
    match (the start of the text without a match), with ``…`` added at each cut end. Only the first
    :data:`MAX_HIGHLIGHT_TERMS` terms of the query are marked. All text is escaped
    with :func:`html.escape` after cutting, so no entity is ever split and no markup from ``text`` survives.
    """
    if max_chars < 1:
        raise ValueError("max_chars must be at least 1")
    if not text:
        return mark_safe("")
    matches = _iter_match_spans(text, positive_terms(q))
    first = next(matches, None)
    lo, hi = _window(text, first, max_chars)
    spans = [first] if first else []
    for span in matches:  # only as far as the window reaches
        if span[0] >= hi:
            break
        spans.append(span)
    out = [_ELLIPSIS] if lo > 0 else []
    position = lo
    for start, end in spans:
        start, end = max(start, lo), min(end, hi)
        if start >= end:
            continue
        out.append(html.escape(text[position:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        position = end
    out.append(html.escape(text[position:hi]))
    if hi < len(text):
        out.append(_ELLIPSIS)
    return mark_safe("".join(out))  # every piece of text went through html.escape above
