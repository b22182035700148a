"""CJK bigram text for PostgreSQL full-text search (papers.search.text) and its highlighted snippets
(papers.search.highlight).

Pure tests run anywhere (``pytest -p no:django tests/test_search_text.py``); the PostgreSQL round trips at
the end need pytest-django and skip without it."""

import html
import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from papers.search.highlight import highlight
from papers.search.text import (
    MAX_QUERY_CHARS,
    MAX_REWRITTEN_CHARS,
    index_text,
    positive_terms,
    websearch_query,
)
from tests.fuzzing import fuzz

FUZZ = fuzz(400)

# ---------------------------------------------------------------------------------------------------------
# index_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("東京都は、日本の首都であり", "東京 京都 都は 、 日本 本の の首 首都 都で であ あり"),
        ("エピソード記憶", "エピ ピソ ソー ード ド記 記憶"),
        ("GPT-4の推論", "GPT-4 の推 推論"),
        ("逻辑一致性", "逻辑 辑一 一致 致性"),
        ("자연어 처리", "자연 연어 처리"),
        # one-character runs stay single characters
        ("A と B", "A と B"),
        ("LLMの", "LLM の"),
        ("猫", "猫"),
        ("x猫y", "x 猫 y"),
        # width normalisation
        ("ＧＰＴ", "GPT"),
        ("ｶﾀｶﾅ", "カタ タカ カナ"),
        ("ｴﾋﾟｿｰﾄﾞ", "エピ ピソ ソー ード"),
        ("ＧＰＴ－４の推論", "GPT-4 の推 推論"),
        # punctuation breaks runs and is kept; ・ is punctuation, ー is a letter
        ("ジェフリー・ヒントン", "ジェ ェフ フリ リー ・ ヒン ント トン"),
        ("「記憶」", "「 記憶 」"),
        # 々 belongs to its run
        ("佐々木", "佐々 々木"),
        ("", ""),
    ],
)
def test_index_text(text, expected):
    assert index_text(text) == expected


def test_index_text_leaves_latin_text_alone():
    text = "Mamba: Linear-Time Sequence Modeling (arXiv:2312.00752), by Gu & Dao.\n\tSecond  line"
    assert index_text(text) == text


def test_index_text_keeps_whitespace_around_runs_and_adds_none_twice():
    assert index_text("Transformerモデル と  Mamba\n記憶") == "Transformer モデ デル と  Mamba\n記憶"


def test_index_text_drops_nul():
    assert index_text("foo\x00bar 記\x00憶") == "foobar 記憶"


@FUZZ
@given(st.text(max_size=300))
def test_index_text_any_text(text):
    result = index_text(text)
    assert "\x00" not in result
    assert all(len(token) <= 2 for token in re.findall("[\u3041-\u30ff\u4e00-\u9fff\uac00-\ud7a3]+", result))


# ---------------------------------------------------------------------------------------------------------
# websearch_query


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("エピソード記憶", '"エピ ピソ ソー ード ド記 記憶"'),
        ("逻辑一致性", '"逻辑 辑一 一致 致性"'),
        ("関数呼び出し", '"関数 数呼 呼び び出 出し"'),
        ("Mamba", "Mamba"),
        ("Yoshua Bengio", "Yoshua Bengio"),
        ("2410.02184", "2410.02184"),
        ("thought templates", "thought templates"),
        ('"buffer of thoughts" -survey', '"buffer of thoughts" -survey'),
        ("mamba OR transformer", "mamba OR transformer"),
        ("-関数", "-関数"),
        ('"エピソード記憶"', '"エピ ピソ ソー ード ド記 記憶"'),
    ],
)
def test_websearch_query_examples(query, expected):
    assert websearch_query(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # CJK mixed with Latin: the whole word is one phrase, so "-" excludes all of it
        ("GPT-4の推論", '"GPT-4 の推 推論"'),
        ("-GPT-4の推論", '-"GPT-4 の推 推論"'),
        ("-エピソード記憶", '-"エピ ピソ ソー ード ド記 記憶"'),
        ('-"エピソード 記憶"', '-"エピ ピソ ソー ード 記憶"'),
        ("記", "記"),
        ("自然言語処理 LLM", '"自然 然言 言語 語処 処理" LLM'),
        ("자연어 처리", '"자연 연어" 처리'),
        ("ＧＰＴ－４ ｴﾋﾟｿｰﾄﾞ", 'GPT-4 "エピ ピソ ソー ード"'),
        ("東京、日本", '"東京 日本"'),
        # OR: any case, only between two operands
        ("mamba or transformer", "mamba OR transformer"),
        ("OR mamba", "mamba"),
        ("mamba OR", "mamba"),
        ("mamba OR OR transformer", "mamba OR transformer"),
        ("記憶 OR 推論", "記憶 OR 推論"),
        ("-survey OR review", "-survey OR review"),
        # "-": only directly before a word or quote; a stray one is dropped
        ("foo - bar", "foo bar"),
        ("- - -", ""),
        ("---foo", "-foo"),
        ('- "a phrase"', '"a phrase"'),
        # quotes: an open quote runs to the end; empty phrases vanish
        ('"buffer of thoughts', '"buffer of thoughts"'),
        ('"', ""),
        ('""  ""', ""),
        ('foo"bar baz"', 'foo "bar baz"'),
        ('"a -b" c', '"a -b" c'),
        # tsquery operator characters are separators, not operators
        ("foo!-bar", "foo -bar"),
        ("(mamba | rwkv) & ssm", "mamba rwkv ssm"),
        ("arXiv:2410.02184", "arXiv 2410.02184"),
        # a word PostgreSQL would read as OR or NOT is quoted
        ("a or, b", 'a "or," b'),
        ("a -or", 'a -"or"'),
        ("OR\u3099", '"OR"'),
        ("\u3099--1", '"-1"'),
        ("oracle or-less", "oracle or-less"),
        ("Bengio's", "Bengio s"),
        # nothing searchable
        ("", ""),
        ("   \t\n ", ""),
        ("、。！", ""),
        ("\x00", ""),
    ],
)
def test_websearch_query_rules(query, expected):
    assert websearch_query(query) == expected


def test_websearch_query_control_characters_and_nul():
    assert websearch_query("foo\x00bar\tbaz\x1b\u200bqux\u2028記憶") == "foobar baz qux 記憶"


def test_websearch_query_caps_long_input_at_a_word_boundary():
    words = " ".join(f"word{i}" for i in range(3000))  # about 26,000 characters
    result = websearch_query(words)
    assert len(result) <= MAX_QUERY_CHARS
    assert result.split() == words.split()[: len(result.split())]


def test_websearch_query_bounds_cjk_expansion():
    result = websearch_query("記憶" * 5000)
    assert len(result) <= MAX_REWRITTEN_CHARS
    assert result.count('"') == 2


def test_websearch_query_never_builds_long_not_chains():
    # Raw websearch_to_tsquery raises "tsquery stack too small" on 32+ NOTs in a row.
    for query in [
        "-" * 10000 + "x",
        "- " * 5000 + "x",
        "x" + "!-" * 5000 + "y",
        "(-" * 5000 + "x",
        '-"' * 5000,
    ]:
        result = websearch_query(query)
        assert "--" not in result
        assert len(result) <= MAX_REWRITTEN_CHARS


hostile_alphabet = st.sampled_from(
    list(
        "-\"' \\!&|()<>:*OorR@#.,、。・ー記憶エピソードab12\t\n\x00\x1b\u200b\u3000\uff02\uff0d\u2028ｶﾞ\u0301"
    )
)
hostile_query = st.one_of(
    st.text(max_size=600),
    st.text(hostile_alphabet, max_size=600),
    st.lists(st.sampled_from(["-", "--", '"', '-"', "OR", "or", "!", "(-", "x", "記憶", "'", "\\", " "])).map(
        "".join
    ),
)


@FUZZ
@given(hostile_query)
def test_websearch_query_any_input_is_safe(query):
    result = websearch_query(query)
    assert isinstance(result, str)
    assert "\x00" not in result
    assert len(result) <= MAX_REWRITTEN_CHARS
    assert result.count('"') % 2 == 0
    assert result == result.strip()
    assert not result.startswith("OR ") and not result.endswith(" OR")


@FUZZ
@given(st.one_of(st.text(max_size=120), st.text(hostile_alphabet, max_size=120)))
def test_websearch_query_is_idempotent(query):
    once = websearch_query(query)
    assert websearch_query(once) == once


def test_websearch_query_huge_input():
    assert len(websearch_query("x" * 10000)) <= MAX_QUERY_CHARS
    assert websearch_query('"' * 10001) == ""


# ---------------------------------------------------------------------------------------------------------
# positive_terms


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"buffer of thoughts" -survey', ["buffer of thoughts"]),
        ("mamba OR transformer", ["mamba", "transformer"]),
        ("-関数 エピソード記憶", ["エピソード記憶"]),
        ("ＧＰＴ－４ ｴﾋﾟｿｰﾄﾞ", ["GPT-4", "エピソード"]),
        ("the model of Models MODEL", ["model", "Models"]),
        ("(ICLR), 2024.", ["ICLR", "2024"]),
        ('-"a b" OR', []),
        ("", []),
    ],
)
def test_positive_terms(query, expected):
    assert positive_terms(query) == expected


# ---------------------------------------------------------------------------------------------------------
# highlight


def test_highlight_marks_latin_prefixes_case_insensitively():
    text = "Large Language Models are good at modeling; a model-based view. Remodel? No."
    assert str(highlight(text, "model")) == (
        "Large Language <mark>Models</mark> are good at <mark>modeling</mark>; a <mark>model</mark>-based "
        "view. Remodel? No."
    )


def test_highlight_cuts_a_common_suffix_from_the_query():
    assert (
        str(highlight("A model, two models.", "models")) == "A <mark>model</mark>, two <mark>models</mark>."
    )


def test_highlight_marks_cjk_substrings():
    assert str(highlight("本研究ではエピソード記憶を用いる。", "エピソード記憶")) == (
        "本研究では<mark>エピソード記憶</mark>を用いる。"
    )
    assert str(highlight("東京都の人口", "京都")) == "東<mark>京都</mark>の人口"


def test_highlight_phrases_short_words_and_stop_words():
    text = "The Buffer of Thoughts paper, and a buffer."
    assert str(highlight(text, '"buffer of thoughts" buffer the a')) == (
        "The <mark>Buffer of Thoughts</mark> paper, and a <mark>buffer</mark>."
    )
    assert str(highlight("C and C++ in ICLR", "C")) == "<mark>C</mark> and <mark>C</mark>++ in ICLR"


def test_highlight_phrase_only_marks_the_phrase():
    assert str(highlight("buffer of thoughts; a buffer", '"buffer of thoughts"')) == (
        "<mark>buffer of thoughts</mark>; a buffer"
    )


def test_highlight_ignores_excluded_terms():
    assert str(highlight("a survey of mamba", "mamba -survey")) == "a survey of <mark>mamba</mark>"


def test_highlight_matches_across_width_but_shows_the_original():
    assert str(highlight("ＧＰＴ－４の推論", "GPT-4")) == "<mark>ＧＰＴ－４</mark>の推論"
    assert str(highlight("ｴﾋﾟｿｰﾄﾞ記憶", "エピソード")) == "<mark>ｴﾋﾟｿｰﾄﾞ</mark>記憶"


def test_highlight_escapes_markup():
    result = str(highlight('<script>alert("x")</script> model & <b>bold</b>', "model"))
    assert result == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; <mark>model</mark> &amp; &lt;b&gt;bold&lt;/b&gt;"
    )
    assert "<script>" not in str(highlight("<script>x</script>", "<script>"))
    assert str(highlight("a <b> tag", '"><mark>')) == "a &lt;b&gt; tag"


def test_highlight_is_safe_string():
    from django.utils.safestring import SafeString

    assert isinstance(highlight("text", "text"), SafeString)


def test_highlight_window_around_first_match():
    text = "Intro sentence. " * 30 + "Here Mamba appears once. " + "Outro sentence. " * 30
    result = str(highlight(text, "mamba", max_chars=80))
    assert result.startswith("…") and result.endswith("…")
    assert "<mark>Mamba</mark>" in result
    assert len(html.unescape(re.sub("</?mark>", "", result)).strip("…")) <= 80


def test_highlight_without_match_shows_the_start():
    text = "First words here. " + "filler " * 100
    result = str(highlight(text, "absent", max_chars=40))
    assert result.startswith("First words here.") and result.endswith("…")
    assert "<mark>" not in result


def test_highlight_short_text_is_whole_and_empty_text_is_empty():
    assert str(highlight("short", "nothing")) == "short"
    assert str(highlight("", "x")) == ""
    assert str(highlight("a model", "")) == "a model"


def test_highlight_never_splits_an_entity():
    text = "&<>" * 200 + " model " + '&"<' * 200
    result = str(highlight(text, "model", max_chars=50))
    bare = re.sub("</?mark>", "", result)
    assert all(re.match("&(amp|lt|gt|quot|#x27);", bare[i:]) for i, ch in enumerate(bare) if ch == "&")
    assert "<mark>model</mark>" in result


def test_highlight_rejects_nonpositive_max_chars():
    with pytest.raises(ValueError):
        highlight("text", "text", max_chars=0)


@FUZZ
@given(
    st.one_of(st.text(max_size=400), st.text(hostile_alphabet, max_size=400)),
    hostile_query,
    st.integers(1, 300),
)
def test_highlight_any_input_is_escaped_and_from_the_text(text, query, max_chars):
    result = str(highlight(text, query, max_chars=max_chars))
    bare = re.sub("</?mark>", "", result)
    assert not set("<>\"'") & set(bare)
    assert all(re.match("&(amp|lt|gt|quot|#x27);", bare[i:]) for i, ch in enumerate(bare) if ch == "&")
    shown = html.unescape(bare).strip("…")
    assert shown in text
    assert len(shown) <= max_chars


# ---------------------------------------------------------------------------------------------------------
# PostgreSQL round trips (need pytest-django; the pure run with -p no:django skips them)


@pytest.fixture
def pg(request):
    """A cursor on the test database. Not a ``django_db`` mark: ``--strict-markers`` rejects that mark
    when pytest-django is disabled, so we ask for its ``db`` fixture only when the plugin is there."""
    if not request.config.pluginmanager.has_plugin("django"):
        pytest.skip("needs pytest-django and PostgreSQL (run without -p no:django)")
    request.getfixturevalue("db")
    from django.db import connection

    with connection.cursor() as cursor:
        yield cursor


def matches(cursor, document: str, query: str) -> bool:
    cursor.execute(
        "SELECT to_tsvector('english', %s) @@ websearch_to_tsquery('english', %s)",
        [index_text(document), websearch_query(query)],
    )
    return cursor.fetchone()[0]


JA = "本研究では、エピソード記憶を用いた関数呼び出しの推論手法を提案する。"
ZH = "我们提出了一种提高大语言模型逻辑一致性的方法。"
KO = "자연어 처리를 위한 새로운 모델"
EN = "Buffer of Thoughts: Thought-Augmented Reasoning with Large Language Models (arXiv:2406.04271)"
TEMPLATES = "ReasonFlux: Hierarchical LLM Reasoning via Scaling Thought Templates. arXiv:2410.02184"
AUTHORS = "Albert Gu, Tri Dao, Yoshua Bengio"
SURVEY = "A Survey on Buffer of Thoughts and Related Prompting"
MAMBA = "Mamba: Linear-Time Sequence Modeling with Selective State Spaces"


@pytest.mark.parametrize(
    ("document", "query", "expected"),
    [
        # Japanese
        (JA, "エピソード記憶", True),
        (JA, '"エピソード記憶"', True),
        (JA, "記憶", True),
        (JA, "関数呼び出し 推論", True),
        (JA, "記憶エピソード", False),
        (JA, "意味記憶", False),
        (JA, "-関数", False),
        (MAMBA, "-関数", True),
        ("ｴﾋﾟｿｰﾄﾞ記憶", "エピソード記憶", True),
        ("ＧＰＴ－４の推論能力", "GPT-4の推論", True),
        ("ＧＰＴ－４の推論能力", "GPT-4", True),
        ("東京都の人口", "京都", True),  # the documented bigram false hit
        ("東京都の人口", "京都大学", False),
        # Chinese, Korean
        (ZH, "逻辑一致性", True),
        (ZH, "一致性逻辑", False),
        (KO, "자연어 처리", True),
        (KO, "자연어처리", False),
        # English, with stemming
        (EN, '"buffer of thoughts" -survey', True),
        (SURVEY, '"buffer of thoughts" -survey', False),
        (EN, "thought templates", False),
        (TEMPLATES, "thought templates", True),
        (MAMBA, "Mamba", True),
        (MAMBA, "sequence models", True),
        (MAMBA, "mamba OR transformer", True),
        (EN, "mamba OR transformer", False),
        # arXiv id, authors
        (TEMPLATES, "2410.02184", True),
        (TEMPLATES, "arXiv:2410.02184", True),
        (EN, "2410.02184", False),
        (AUTHORS, "Yoshua Bengio", True),
        (AUTHORS, '"Bengio Yoshua"', False),
    ],
)
def test_postgres_round_trip(pg, document, query, expected):
    assert matches(pg, document, query) is expected


def test_postgres_accepts_every_hostile_rewrite(pg):
    rng = random.Random(20241002)
    alphabet = list("-\"' \\!&|()<>:*Oor@#.,、ー記憶エピab1\t\n\x00\x1b\u200b\u3000ｶﾞ")
    queries = [
        "-" * 10000 + "x",
        "- " * 5000 + "x",
        "x" + "!-" * 5000 + "y",
        "(-" * 5000,
        '"' * 10001,
        "OR",
        "OR OR",
        "\x00\x00",
        "記" * 10000,
        "'" * 40 + '"' + "-" * 40,
        'foo\\ "-' + "- " * 40 + '"',
    ] + ["".join(rng.choices(alphabet, k=rng.randint(0, 400))) for _ in range(300)]
    for query in queries:
        pg.execute("SELECT websearch_to_tsquery('english', %s)::text", [websearch_query(query)])
        pg.fetchone()
