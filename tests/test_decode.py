"""decode_bytes and looks_like_html: encodings, normalisation, and the input they must refuse.

Pure tests: no database, no Django (run with ``-p no:django``).
"""

from __future__ import annotations

import codecs
import random

import pytest

from papers.ingest.decode import DecodedText, decode_bytes, looks_like_html
from papers.ingest.parsed import DigestParseError
from tests.conftest import seed_path, seed_text

JA = "要約\n本研究では、大規模言語モデルの記憶を順序の想起課題で評価する。\n著者 山田太郎, 佐藤花子"
ZH = "摘要:\n本文提出一种评估大语言模型推理能力的新方法,并在多个数据集上验证。\n推荐阅读指数: 3.5"
KO = "요약\n대규모 언어 모델의 추론 능력을 평가하는 새로운 방법을 제안합니다.\n저자 김민수, 이지은"
ZH_HANT = "摘要:\n本文提出一種評估大型語言模型推理能力的新方法,並在多個資料集上驗證。"


# --- encodings ---------------------------------------------------------------------------------------


def test_utf8_is_decoded_as_is() -> None:
    assert decode_bytes(JA.encode("utf-8")) == DecodedText(JA, "utf-8")


def test_utf8_byte_order_mark_is_dropped() -> None:
    decoded = decode_bytes(codecs.BOM_UTF8 + JA.encode("utf-8"))
    assert decoded == DecodedText(JA, "utf-8-sig")


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (codecs.BOM_UTF16_LE + ZH.encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + ZH.encode("utf-16-be"), "utf-16-be"),
        (codecs.BOM_UTF32_LE + ZH.encode("utf-32-le"), "utf-32-le"),
    ],
    ids=["utf-16-le", "utf-16-be", "utf-32-le"],
)
def test_utf16_and_utf32_with_byte_order_mark(data: bytes, encoding: str) -> None:
    # ASCII in UTF-16/32 is full of NUL bytes: the byte-order mark must be honoured before the binary check.
    assert decode_bytes(data) == DecodedText(ZH, encoding)


def test_python_utf16_output_with_its_native_mark() -> None:
    assert decode_bytes(KO.encode("utf-16")).text == KO


@pytest.mark.parametrize(
    ("text", "codec", "detected_as"),
    [
        (JA, "cp932", {"cp932", "shift_jis"}),
        (JA, "shift_jis", {"cp932", "shift_jis"}),
        (ZH, "gb18030", {"gb18030", "gbk", "gb2312"}),
        (KO, "euc_kr", {"euc_kr", "cp949"}),
        (ZH_HANT, "big5", {"big5", "big5hkscs", "cp950"}),
    ],
    ids=["cp932", "shift_jis", "gb18030", "euc-kr", "big5"],
)
def test_legacy_cjk_encodings_are_detected(text: str, codec: str, detected_as: set[str]) -> None:
    data = text.encode(codec)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the sample really exercises detection
    decoded = decode_bytes(data)
    assert decoded.text == text
    assert decoded.encoding in detected_as


def test_invalid_utf16_after_its_mark_is_refused() -> None:
    with pytest.raises(DigestParseError, match="byte-order mark but is not valid utf-16-le"):
        decode_bytes(codecs.BOM_UTF16_LE + "題名".encode("utf-16-le") + b"\x00\xd8")  # lone surrogate


# --- normalisation -----------------------------------------------------------------------------------


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "cr"])
def test_newlines_become_lf(newline: str) -> None:
    assert decode_bytes(JA.replace("\n", newline).encode("utf-8")).text == JA


def test_nfc_composes_but_keeps_full_width_and_half_width_forms() -> None:
    decomposed = "ホ\u309aか\u3099 ＡＢＣ１２３ ｶﾀｶﾅ ①"  # ポ and が as base letter + combining mark
    # NFKC would also have folded the full-width letters, the half-width katakana and the circled digit.
    assert decode_bytes(decomposed.encode("utf-8")).text == "ポが ＡＢＣ１２３ ｶﾀｶﾅ ①"


def test_leading_invisible_characters_are_dropped() -> None:
    assert decode_bytes("\u200b\ufeff\u2060Title\n本文".encode()).text == "Title\n本文"


def test_leading_and_trailing_blank_lines_are_kept_for_line_numbers() -> None:
    assert decode_bytes(b"\n\nTitle\n\n").text == "\n\nTitle\n\n"


# --- refused input -----------------------------------------------------------------------------------


def test_empty_file() -> None:
    with pytest.raises(DigestParseError, match=r"^file is empty$"):
        decode_bytes(b"")


@pytest.mark.parametrize(
    "data",
    [
        b"   \n\t\r\n  ",
        "\u3000\u3000\n".encode(),
        codecs.BOM_UTF8,
        codecs.BOM_UTF16_LE + " \n".encode("utf-16-le"),
    ],
    ids=["ascii-whitespace", "ideographic-spaces", "bom-only", "utf16-whitespace"],
)
def test_whitespace_only_file(data: bytes) -> None:
    with pytest.raises(DigestParseError, match=r"^file is empty \(it contains only whitespace\)$"):
        decode_bytes(data)


def test_png_is_binary() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + random.Random(7).randbytes(512)
    with pytest.raises(DigestParseError, match=r"^file looks binary, not a text or HTML digest"):
        decode_bytes(png)


def test_random_bytes_with_nuls_are_binary() -> None:
    data = random.Random(11).randbytes(2048) + b"\x00"
    with pytest.raises(DigestParseError, match=r"looks binary.*NUL bytes"):
        decode_bytes(data)


def test_random_bytes_without_nuls_are_binary() -> None:
    data = random.Random(13).randbytes(2048).replace(b"\x00", b"\x01")
    with pytest.raises(DigestParseError, match="looks binary"):
        decode_bytes(data)


def test_valid_utf8_full_of_control_characters_is_binary() -> None:
    data = bytes(range(1, 9)) * 50 + b"some text"
    with pytest.raises(DigestParseError, match=r"looks binary.*control characters"):
        decode_bytes(data)


def test_a_stray_control_character_is_tolerated_and_removed() -> None:
    text = JA + "\x1b" + "\n" + JA
    assert decode_bytes(text.encode()).text == JA + "\n" + JA


# --- looks_like_html ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "<!DOCTYPE html>\n<html><body><p>x</p></body></html>",
        "<!doctype html><title>t</title>",
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0//EN" "x.dtd">',
        "<!-- saved from url=(0042)https://arxiv.jp/ -->\n<html lang='ja'>",
        "\n  <HTML><HEAD><META charset='cp932'></HEAD>",
        "<div class='cooked'><p>論文紹介</p></div>",
        "<!DOCTYPE html [<!ENTITY a 'b'>]><html>",
    ],
)
def test_looks_like_html(text: str) -> None:
    assert looks_like_html(text)


@pytest.mark.parametrize(
    "text",
    [
        JA,
        ZH,
        "<https://arxiv.org/abs/2406.13542>\nSelf-play with Execution Feedback",
        "<script>alert(1)</script> is a title, not a page",
        "論文の概要: <b>太字</b> ではない",
        "",
    ],
)
def test_plain_text_does_not_look_like_html(text: str) -> None:
    assert not looks_like_html(text)


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_seed_digests_decode_unchanged_and_are_not_html(prefix: str) -> None:
    decoded = decode_bytes(seed_path(prefix).read_bytes())
    assert decoded.encoding == "utf-8"
    assert decoded.text == seed_text(prefix)
    assert not looks_like_html(decoded.text)
