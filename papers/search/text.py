"""CJK-aware text for PostgreSQL full-text search: index text and web-search queries (the snippets that
show what matched are papers.search.highlight).

Why: stock PostgreSQL has no parser for Chinese, Japanese or Korean. Its default parser keeps a whole run
of CJK letters as one token, so ``エピソード記憶を扱う`` is a single lexeme and a search for ``記憶`` never
matches it. We therefore rewrite text in Python before PostgreSQL sees it, the way Lucene's
``CJKWidthFilter`` + ``CJKBigramFilter`` do:

1. NFKC-normalise (full-width ASCII ``ＧＰＴ`` → ``GPT``, half-width katakana ``ｶﾀｶﾅ`` → ``カタカナ``).
2. Every maximal run of CJK letters (Han, Hiragana, Katakana with the prolonged sound mark ``ー``, Hangul
   syllables and jamo) becomes its overlapping bigrams separated by spaces: ``記憶を扱う`` →
   ``記憶 憶を を扱 扱う``. A one-character run is kept as that character.
3. Everything else passes through unchanged, so PostgreSQL's ``english`` configuration still stems Latin
   words (lower-casing, stemming and stop words remain PostgreSQL's job).

Punctuation such as ``、`` ``。`` ``・`` is not a CJK letter: it ends a run and is kept as it is, set off
from the bigrams by spaces (PostgreSQL's parser drops it without using a position, so phrases stay
adjacent across it). Wherever a CJK run touches other non-space text, one space is put between them:
``GPT-4の推論`` → ``GPT-4 の推 推論``.

On the query side, :func:`websearch_query` rewrites a user's query for ``websearch_to_tsquery`` so that a
CJK word becomes the *phrase* of its bigrams (``"エピ ピソ ソー ード ド記 記憶"``), which PostgreSQL turns
into ``'エピ' <-> 'ピソ' <-> … <-> '記憶'``.

Known trade-offs:

* Bigrams give false hits: ``京都`` matches a text about ``東京都`` (東京 **京都** 都は…). Longer query
  words are phrases of adjacent bigrams, which cuts most such hits; two-character words keep them.
* A one-character query word (``脳``) only matches one-character runs in the text, never a longer run
  (``脳科学`` is indexed as ``脳科 科学``); ``websearch_to_tsquery`` has no prefix search to bridge that.
* There is no word segmentation, so ranking counts bigram hits, not words.

Both sides must use the same transformation and the same configuration: index
``to_tsvector('english', index_text(document))`` and query
``websearch_to_tsquery('english', websearch_query(user_input))``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "MAX_QUERY_CHARS",
    "MAX_REWRITTEN_CHARS",
    "index_text",
    "positive_terms",
    "websearch_query",
]

#: The user's query is cut to this many characters (after NFKC and clean-up, at the last space before the
#: limit when there is one). Nobody types more; the cap bounds the work PostgreSQL and the highlighter do.
MAX_QUERY_CHARS = 500
#: Hard bound on :func:`websearch_query`'s result. Bigrams make a CJK word about three times longer, so a
#: capped query stays below this; operands that would cross it are dropped, never cut in half.
MAX_REWRITTEN_CHARS = 4 * MAX_QUERY_CHARS

# CJK letters, as code point ranges for a regex character class. Punctuation (、。・「」〜゠) is left out.
_CJK_RANGES = (
    "\u1100-\u11ff"  # Hangul Jamo
    "\u3005-\u3007"  # 々 〆 〇
    "\u3021-\u3029"  # Hangzhou numerals
    "\u3031-\u3035"  # vertical kana repeat marks
    "\u3038-\u303b"  # 〸〹〺 〻
    "\u3041-\u3096"  # Hiragana
    "\u3099-\u309f"  # (semi-)voiced sound marks, ゝ ゞ ゟ
    "\u30a1-\u30fa"  # Katakana
    "\u30fc-\u30ff"  # ー ヽ ヾ ヿ (not ・ U+30FB, a separator)
    "\u3131-\u318e"  # Hangul compatibility jamo
    "\u31f0-\u31ff"  # Katakana phonetic extensions
    "\u3400-\u4dbf"  # CJK Extension A
    "\u4e00-\u9fff"  # CJK Unified Ideographs
    "\ua960-\ua97f"  # Hangul Jamo Extended-A
    "\uac00-\ud7a3"  # Hangul syllables
    "\ud7b0-\ud7ff"  # Hangul Jamo Extended-B
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uff66-\uff9f"  # half-width katakana (NFKC turns them full-width first)
    "\uffa0-\uffdc"  # half-width Hangul
    "\U0001b000-\U0001b16f"  # Kana Supplement, Kana Extended-A
    "\U00020000-\U000323af"  # CJK Extensions B–H, compatibility supplement
)
_CJK_RUN = re.compile(f"[{_CJK_RANGES}]+")

# Characters PostgreSQL's tsquery parsers give a meaning to inside a web-search query (operators ! & | ( ) <,
# ":" weights, "\" escapes, "'" quoted values). They are word separators for to_tsvector anyway, but left in
# a query they can turn a later "-" into NOT (forty of them raise "tsquery stack too small") or let a
# quoted value swallow our double quotes. The query rewrite turns them into spaces.
_QUERY_SPECIALS = str.maketrans(dict.fromkeys("!&|()<:\\'", " "))
_SEPARATOR_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})

# PostgreSQL's english.stop: words the server drops, so the highlighter doesn't mark them on their own.
_ENGLISH_STOP_WORDS_TEXT = """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers
    herself it its itself they them their theirs themselves what which who whom this that these those am is
    are was were be been being have has had having do does did doing a an the and but if or because as until
    while of at by for with about against between into through during before after above below to from up
    down in out on off over under again further then once here there when where why how all any both each
    few more most other some such no nor not only own same so than too very s t can will just don should now
"""
_ENGLISH_STOP_WORDS = frozenset(_ENGLISH_STOP_WORDS_TEXT.split())


# --------------------------------------------------------------------------------------------------------
# Documents


@functools.lru_cache(maxsize=32768)  # runs repeat a lot across papers; bounded, a few MB at most
def _bigrams(run: str) -> str:
    if len(run) == 1:
        return run
    return " ".join(run[i : i + 2] for i in range(len(run) - 1))


def index_text(text: str) -> str:
    """The text to hand to ``to_tsvector('english', …)``: NFKC, CJK runs as bigrams, the rest unchanged.

    >>> index_text("東京都は、日本の首都であり")
    '東京 京都 都は 、 日本 本の の首 首都 都で であ あり'

    NUL characters (which PostgreSQL text cannot hold) and lone surrogates are removed.
    """
    if text.isascii():  # titles, names, English abstracts: NFKC leaves ASCII alone, no CJK run to split
        return text.replace("\x00", "")
    text = _drop_unstorable(text)
    text = unicodedata.normalize("NFKC", text)
    if not _CJK_RUN.search(text):
        return text

    def replace(match: re.Match[str]) -> str:
        start, end = match.span()
        before = " " if start > 0 and not text[start - 1].isspace() else ""
        after = " " if end < len(text) and not text[end].isspace() else ""
        return before + _bigrams(match.group()) + after

    return _CJK_RUN.sub(replace, text)


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _drop_unstorable(text: str) -> str:
    return _UNSTORABLE.sub("", text)


# --------------------------------------------------------------------------------------------------------
# Queries


@dataclass(frozen=True)
class _Operand:
    text: str  # a bare word (no spaces, no quotes, no leading "-") or the inside of a quoted phrase
    phrase: bool
    negated: bool


_OR = object()  # the OR operator between two operands


def _clean_query(q: str) -> str:
    """NFKC, separators and query-syntax characters as single spaces, at most MAX_QUERY_CHARS."""
    q = _drop_unstorable(q[: MAX_QUERY_CHARS * 4])
    q = unicodedata.normalize("NFKC", q).translate(_QUERY_SPECIALS)
    q = "".join(" " if ch.isspace() or unicodedata.category(ch) in _SEPARATOR_CATEGORIES else ch for ch in q)
    q = re.sub(" +", " ", q).strip()
    if len(q) > MAX_QUERY_CHARS:
        cut = q[:MAX_QUERY_CHARS]
        if q[MAX_QUERY_CHARS] != " " and " " in cut:
            cut = cut[: cut.rindex(" ")]
        q = cut.strip()
    return q


def _parse_query(q: str) -> list[_Operand | object]:
    """Web-search syntax: words, "phrases", -word, -"phrase", OR. A quote left open runs to the end."""
    q = _clean_query(q)
    tokens: list[_Operand | object] = []
    i, n = 0, len(q)
    while i < n:
        if q[i] == " ":
            i += 1
            continue
        negated = False
        if q[i] == "-":
            j = i
            while j < n and q[j] == "-":
                j += 1
            if j == n or q[j] == " ":  # a stray "-" excludes nothing
                i = j
                continue
            negated, i = True, j
        if q[i] == '"':
            close = q.find('"', i + 1)
            end = n if close == -1 else close
            tokens.append(_Operand(q[i + 1 : end], phrase=True, negated=negated))
            i = end + 1
            continue
        j = i
        while j < n and q[j] not in ' "':
            j += 1
        word = q[i:j]
        i = j
        if not negated and word.lower() == "or":
            tokens.append(_OR)
        else:
            tokens.append(_Operand(word, phrase=False, negated=negated))
    return tokens


def _has_alnum(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _indexed_pieces(word: str) -> list[str]:
    """A query word as the space-free pieces ``index_text`` makes of it, without punctuation-only ones."""
    return [re.sub("^-+", "-", piece) for piece in index_text(word).split() if _has_alnum(piece)]


def _render(operand: _Operand) -> str:
    if operand.phrase:
        pieces: list[str] = []
        for word in operand.text.split():
            # PostgreSQL reads "-" inside quotes as text, not NOT; one is enough to keep "-4" intact.
            word = re.sub("^-+", "-", word)
            if _CJK_RUN.search(word):
                pieces.extend(_indexed_pieces(word))
            elif _has_alnum(word):
                pieces.append(word)
        rendered = f'"{" ".join(pieces)}"' if pieces else ""
    else:
        if _CJK_RUN.search(operand.text):
            pieces = _indexed_pieces(operand.text)
        else:
            pieces = [operand.text] if _has_alnum(operand.text) else []
        # One piece (a Latin word, a one- or two-character CJK run) needs no quotes, unless PostgreSQL
        # would read its start as NOT or OR ("-1", "or", "or," …); it reads neither inside quotes.
        if len(pieces) == 1 and not pieces[0].startswith("-") and not _reads_as_or(pieces[0]):
            rendered = pieces[0]
        else:
            rendered = f'"{" ".join(pieces)}"' if pieces else ""
    if rendered and operand.negated:
        rendered = "-" + rendered
    return rendered


def _reads_as_or(word: str) -> bool:
    """Would websearch_to_tsquery take this word (after an operand) for OR? "or" then no letter/digit/-/_."""
    return word[:2].lower() == "or" and (len(word) == 2 or not (word[2].isalnum() or word[2] in "-_"))


def websearch_query(q: str) -> str:
    """Rewrite a web-search query for ``websearch_to_tsquery('english', …)`` over :func:`index_text` text.

    * Bare words are ANDed; ``OR`` (any case) between two operands is kept as ``OR``; ``OR`` at either end
      or doubled is dropped.
    * A word with CJK letters becomes the quoted phrase of its :func:`index_text` pieces
      (``関数呼び出し`` → ``"関数 数呼 呼び び出 出し"``, ``GPT-4の推論`` → ``"GPT-4 の推 推論"``); if
      that is a single piece (one or two CJK characters) it stays bare (``-関数`` → ``-関数``).
    * A bare word PostgreSQL would misread as an operator is quoted: ``or,`` → ``"or,"``.
    * Inside user quotes CJK words become bigrams; the quotes already make the phrase. A quote left open
      runs to the end of the query and is closed.
    * ``-`` directly before a word or a quote excludes it; a ``-`` standing alone is dropped (PostgreSQL
      would apply it to the next word).
    * NFKC first; NUL, lone surrogates and ``! & | ( ) < : \\ '`` are removed or made spaces; control,
      format and space characters become plain spaces; words without a letter or digit are dropped.
    * The input is capped at :data:`MAX_QUERY_CHARS` characters, the result at :data:`MAX_REWRITTEN_CHARS`.

    Returns ``""`` when nothing searchable is left. The result's double quotes are always balanced.
    """
    parts: list[str] = []
    length = 0
    pending_or = False
    for token in _parse_query(q):
        if token is _OR:
            pending_or = bool(parts)
            continue
        assert isinstance(token, _Operand)
        rendered = _render(token)
        if not rendered:
            continue
        addition = len(rendered) + 1 + (3 if pending_or else 0)
        if length + addition > MAX_REWRITTEN_CHARS:
            break
        if pending_or:
            parts.append("OR")
            pending_or = False
        parts.append(rendered)
        length += addition
    return " ".join(parts)


def _strip_punctuation(word: str) -> str:
    start, end = 0, len(word)
    while start < end and unicodedata.category(word[start]).startswith("P") and word[start] != "#":
        start += 1
    while end > start and unicodedata.category(word[end - 1]).startswith("P") and word[end - 1] != "#":
        end -= 1
    return word[start:end]


def positive_terms(q: str) -> list[str]:
    """The words and phrases the query asks for, NFKC-normalised, in query order, without duplicates.

    Excluded (``-``) operands, ``OR``, English stop words standing alone and punctuation around words
    are left out; a phrase comes back as its words joined by single spaces (CJK as typed, not bigrams).
    """
    terms: list[str] = []
    seen: set[str] = set()
    for token in _parse_query(q):
        if token is _OR:
            continue
        assert isinstance(token, _Operand)
        if token.negated:
            continue
        words = [w for w in (_strip_punctuation(w) for w in token.text.split()) if _has_alnum(w)]
        if not words or (not token.phrase and words[0].lower() in _ENGLISH_STOP_WORDS):
            continue
        term = " ".join(words)
        key = term.casefold()
        if key not in seen:
            seen.add(key)
            terms.append(term)
    return terms
