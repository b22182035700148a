"""The reader-facing UI in Japanese, Simplified Chinese and Korean: pages, the language switch, and
catalogues that are complete and compiled (the .mo files are committed, so users need no gettext)."""

from __future__ import annotations

import gettext
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

LOCALE = Path(settings.LOCALE_PATHS[0])
CATALOGUES = {"ja": "ja", "zh-hans": "zh_Hans", "ko": "ko"}  # UI language code -> locale directory
LIST = reverse("paper_list")
HOME = reverse("home")

# A few exact translations per language: the search button, the "Papers" heading, and others.
EXPECTED = {
    "ja": {
        "search": "検索",
        "papers": "論文",
        "latest": "新着論文",
        "newest": "新しい順",
        "facet": "要約の言語",
    },
    "zh-hans": {
        "search": "搜索",
        "papers": "论文",
        "latest": "最新论文",
        "newest": "最新",
        "facet": "摘要语言",
    },
    "ko": {
        "search": "검색",
        "papers": "논문",
        "latest": "최신 논문",
        "newest": "최신순",
        "facet": "요약 언어",
    },
}


@pytest.fixture(autouse=True)
def _english_afterwards():
    """LocaleMiddleware leaves the request's language active in the thread; other tests expect English."""
    yield
    translation.deactivate()


def get(client, url: str, language: str) -> str:
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert response["Content-Language"] == language
    return html.unescape(response.content.decode())


@pytest.mark.parametrize("language", EXPECTED)
def test_list_page_in_each_language(client, demo_papers, language):
    page = get(client, LIST, language)
    words = EXPECTED[language]
    assert f'<html lang="{language}">' in page
    assert f'<button type="submit">{words["search"]}</button>' in page
    assert f'<h1 id="results-heading">{words["papers"]}</h1>' in page
    assert f'<strong aria-current="true">{words["newest"]}</strong>' in page
    assert f'<h2 id="facet-language">{words["facet"]}</h2>' in page
    assert "KAN: Kolmogorov-Arnold Networks" in page  # titles stay as published
    assert "Search" not in re.sub(r"<[^>]*>", "", page.split("<main", 1)[0])  # header fully translated


def test_list_page_counts_and_headings_keep_their_placeholders(client, demo_papers):
    page = get(client, LIST + "?q=Kolmogorov", "ja")
    assert '<h1 id="results-heading">「Kolmogorov」の検索結果</h1>' in page
    assert re.search(r"\d+件の論文", page)
    page = get(client, LIST, "zh-hans")
    assert re.search(r"\d+ 篇论文", page)
    page = get(client, LIST, "ko")
    assert re.search(r"논문 \d+편", page)


@pytest.mark.parametrize("language", EXPECTED)
def test_home_page_in_each_language(client, demo_papers, language):
    page = get(client, HOME, language)
    words = EXPECTED[language]
    assert f'<html lang="{language}">' in page
    assert f'<button type="submit">{words["search"]}</button>' in page
    assert f'<h1 id="latest-papers">{words["latest"]}</h1>' in page
    assert f">{words['papers']}</a>" in page  # the "Papers" link in the header


def test_english_stays_the_default(client, demo_papers):
    page = client.get(LIST).content.decode()
    assert '<html lang="en">' in page
    assert '<button type="submit">Search</button>' in page
    assert '<h1 id="results-heading">Papers</h1>' in page


def test_switching_language_sets_the_cookie_and_the_next_page_is_korean(client, demo_papers):
    response = client.post("/i18n/setlang/", {"language": "ko", "next": LIST})
    assert response.status_code == 302
    assert response["Location"] == LIST
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ko"
    response = client.get(response["Location"])  # no Accept-Language: the cookie decides
    page = html.unescape(response.content.decode())
    assert '<html lang="ko">' in page
    assert '<button type="submit">검색</button>' in page
    assert '<h1 id="results-heading">논문</h1>' in page


# The catalogues ------------------------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda match: _ESCAPES.get(match.group(1), match.group(1)), text)


def parse_po(path: Path) -> list[Entry]:
    """Just enough of the .po format for makemessages' output: flags, msgid(_plural), msgstr(\\[n\\])."""
    entries: list[Entry] = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry, key = Entry(), None
        for line in block.strip().splitlines():
            if line.startswith("#~"):
                entry.obsolete = True
            elif line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#"):
                continue
            else:
                match = re.fullmatch(r'(?:(msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+)?"(.*)"', line)
                assert match, f"{path}: cannot parse {line!r}"
                keyword, index, text = match.groups()
                if keyword:
                    key = (keyword, int(index or 0))
                    if keyword == "msgstr":
                        entry.msgstr[key[1]] = ""
                text = _unescape(text)
                if key[0] == "msgid":
                    entry.msgid += text
                elif key[0] == "msgid_plural":
                    entry.msgid_plural = (entry.msgid_plural or "") + text
                else:
                    entry.msgstr[key[1]] += text
        if entry.msgstr or entry.obsolete:
            entries.append(entry)
    return entries


def po_path(directory: str) -> Path:
    return LOCALE / directory / "LC_MESSAGES" / "django.po"


@pytest.mark.parametrize("directory", CATALOGUES.values())
def test_every_message_is_translated(directory):
    entries = parse_po(po_path(directory))
    header, messages = entries[0], entries[1:]
    assert header.msgid == ""
    assert f"Language: {directory}\n" in header.msgstr[0]
    assert "charset=UTF-8" in header.msgstr[0]
    assert "Plural-Forms: nplurals=1; plural=0;" in header.msgstr[0]
    assert len(messages) > 50
    for entry in messages:
        assert not entry.obsolete, f"obsolete entry left in {directory}: {entry.msgid!r}"
        assert "fuzzy" not in entry.flags | header.flags, f"fuzzy in {directory}: {entry.msgid!r}"
        assert entry.msgid, "an empty msgid after the header"
        assert list(entry.msgstr) == [0], f"{directory}: one form only for {entry.msgid!r}"
        translated = entry.msgstr[0]
        assert translated.strip(), f"untranslated in {directory}: {entry.msgid!r}"
        for source in filter(None, (entry.msgid, entry.msgid_plural)):
            placeholders = sorted(re.findall(r"%\(\w+\)s", source))
            assert sorted(re.findall(r"%\(\w+\)s", translated)) == placeholders, (directory, entry.msgid)
        for name in ("arXiv", "Atom", "RSS", "JSON", "CSV"):
            if name in entry.msgid:
                assert name in translated, (directory, entry.msgid)


@pytest.mark.parametrize("directory", CATALOGUES.values())
def test_compiled_catalogue_matches_the_po_file(directory):
    """compilemessages was run after the last edit: the committed .mo holds exactly the .po's texts.
    (Compares contents, not modification times, which a fresh clone sets arbitrarily.)"""
    mo = po_path(directory).with_suffix(".mo")
    assert mo.is_file(), f"{mo} missing: run compilemessages"
    with mo.open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog
    expected = {}
    for entry in parse_po(po_path(directory))[1:]:
        if entry.msgid_plural is None:
            expected[entry.msgid] = entry.msgstr[0]
        else:
            expected[(entry.msgid, 0)] = entry.msgstr[0]
    compiled = {key: value for key, value in catalog.items() if key != ""}
    assert compiled == expected, f"{mo} is stale: run manage.py compilemessages"
    assert mo.stat().st_size > 0


def test_mo_files_are_not_older_than_their_po_files():
    """A quick reminder in a working copy (a clone's checkout may write both in either order, hence
    the second of slack); the content comparison above is the real check."""
    for directory in CATALOGUES.values():
        po = po_path(directory)
        mo = po.with_suffix(".mo")
        assert mo.stat().st_mtime >= po.stat().st_mtime - 1.0, f"{mo} older than {po}: run compilemessages"


def test_django_loads_the_catalogues():
    with translation.override("ja"):
        assert translation.gettext("Papers") == "論文"
        count = translation.ngettext("%(counter)s paper", "%(counter)s papers", 3)
        assert count % {"counter": 3} == "3件の論文"
    with translation.override("zh-hans"):
        assert translation.gettext("Editorial score") == "编辑评分"
    with translation.override("ko"):
        assert translation.gettext("Summary language") == "요약 언어"
