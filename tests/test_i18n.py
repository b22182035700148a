"""The reader-facing UI in Japanese, Simplified Chinese and Korean: pages, the language switch, and
catalogues that are complete and compiled (the .mo files are committed, so users need no gettext)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import polib
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
    response = client.post(
        "/i18n/setlang/", {"language": "ko", "next": LIST}, headers={"Sec-Fetch-Site": "same-origin"}
    )
    assert response.status_code == 302
    assert response["Location"] == LIST
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ko"
    response = client.get(response["Location"])  # no Accept-Language: the cookie decides
    page = html.unescape(response.content.decode())
    assert '<html lang="ko">' in page
    assert '<button type="submit">검색</button>' in page
    assert '<h1 id="results-heading">논문</h1>' in page


# The catalogues ------------------------------------------------------------------------------------


def po_path(directory: str) -> Path:
    return LOCALE / directory / "LC_MESSAGES" / "django.po"


@pytest.mark.parametrize("directory", CATALOGUES.values())
def test_every_message_is_translated(directory):
    catalogue = polib.pofile(str(po_path(directory)))
    assert catalogue.metadata["Language"] == directory
    assert "charset=UTF-8" in catalogue.metadata["Content-Type"]
    assert catalogue.metadata["Plural-Forms"] == "nplurals=1; plural=0;"
    assert len(catalogue) > 50
    assert not catalogue.obsolete_entries(), f"obsolete entries left in {directory}"
    assert not catalogue.fuzzy_entries(), f"fuzzy entries in {directory}"
    for entry in catalogue:
        translated = entry.msgstr_plural[0] if entry.msgid_plural else entry.msgstr
        assert translated.strip(), f"untranslated in {directory}: {entry.msgid!r}"
        if entry.msgid_plural:
            assert list(entry.msgstr_plural) == [0], f"{directory}: one form only for {entry.msgid!r}"
        for source in filter(None, (entry.msgid, entry.msgid_plural)):
            placeholders = sorted(re.findall(r"%\(\w+\)s", source))
            assert sorted(re.findall(r"%\(\w+\)s", translated)) == placeholders, (directory, entry.msgid)
        for name in ("arXiv", "Atom", "RSS", "JSON", "CSV"):
            if name in entry.msgid:
                assert name in translated, (directory, entry.msgid)


@pytest.mark.parametrize("directory", CATALOGUES.values())
def test_compiled_catalogue_matches_the_po_file(directory):
    """compilemessages was run after the last edit: the committed .mo holds exactly the .po's texts."""
    po = po_path(directory)
    mo = po.with_suffix(".mo")
    assert mo.is_file(), f"{mo} missing: run make messages"
    compiled = {(e.msgctxt, e.msgid): (e.msgstr or e.msgstr_plural) for e in polib.mofile(str(mo))}
    source = {
        (e.msgctxt, e.msgid): (e.msgstr or e.msgstr_plural) for e in polib.pofile(str(po)) if e.translated()
    }
    assert compiled == source, f"{mo} is stale: run make messages"


def test_django_loads_the_catalogues():
    with translation.override("ja"):
        assert translation.gettext("Papers") == "論文"
        count = translation.ngettext("%(counter)s paper", "%(counter)s papers", 3)
        assert count % {"counter": 3} == "3件の論文"
    with translation.override("zh-hans"):
        assert translation.gettext("Editorial score") == "编辑评分"
    with translation.override("ko"):
        assert translation.gettext("Summary language") == "요약 언어"
