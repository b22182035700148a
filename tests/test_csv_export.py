"""CSV exports of paper lists: a cell a spreadsheet would run as a formula is neutralised the OWASP way (a
leading ``'``) while numbers stay numbers and JSON stays exact; the export streams, stays bounded, and
costs the same queries for any number of rows."""

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import example, given
from hypothesis import strategies as st

from papers import csv_export
from papers.csv_export import FORMULA_TRIGGERS, SpreadsheetSafeWriter
from papers.models import Author, Authorship, Category, Paper
from papers.search import cache
from papers.search.index import refresh_papers
from papers.views import lists
from tests.fuzzing import fuzz

pytestmark = pytest.mark.django_db
LIST = "/papers/"

HOSTILE = [
    '=HYPERLINK("http://evil.example/","Open me")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\tcmd|' /C calc'!A0",
    "\r=1+1",
]


def make_paper(title: str, *, author: str = "Ada Reader", category: str = "cs.LG", arxiv_id=None) -> Paper:
    paper = Paper.objects.create(title=title, arxiv_id=arxiv_id)
    Authorship.objects.create(paper=paper, author=Author.objects.get_or_create(name=author)[0], position=1)
    paper.categories.add(Category.objects.get_or_create(code=category)[0])
    refresh_papers([paper.pk])
    return paper


def exported_rows(client, **params) -> list[dict[str, str]]:
    response = client.get(LIST, {**params, "format": "csv"})
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.getvalue().decode("utf-8-sig"))))


def written(row: list) -> str:
    buffer = io.StringIO()
    SpreadsheetSafeWriter(buffer).writerow(row)
    return buffer.getvalue()


@pytest.mark.parametrize("title", HOSTILE)
def test_a_title_that_starts_a_formula_is_exported_as_text(client, title):
    make_paper(title, arxiv_id="2401.00001")
    (row,) = exported_rows(client)
    assert row["title"] == "'" + title
    assert row["arxiv_id"] == "2401.00001"  # ordinary cells are untouched


def test_every_text_column_is_neutralised_not_only_the_title(client):
    # Category codes cannot start a formula (the importer and a check constraint keep them arXiv-shaped);
    # they go through the same writer all the same.
    make_paper("An ordinary title", author="=cmd|' /C calc'!A0")
    (row,) = exported_rows(client)
    assert row["title"] == "An ordinary title"
    assert row["authors"] == "'=cmd|' /C calc'!A0"


def test_json_keeps_the_exact_text(client):
    title = HOSTILE[0]
    make_paper(title, author="-Minus Author")
    (result,) = client.get(LIST, {"format": "json"}).json()["results"]
    assert result["title"] == title
    assert result["authors"] == ["-Minus Author"]


def test_numbers_stay_numbers_and_text_that_looks_like_one_is_text():
    # The column's type decides, not how the value looks: a score is a number, a title is text.
    assert written([-1.5, 3, Decimal("-0.25"), "-1.5", "plain", None]) == "-1.5,3,-0.25,'-1.5,plain,\r\n"


def test_non_text_values_are_checked_as_the_text_they_become():
    class Shown:
        def __str__(self) -> str:
            return "=1+1"

    assert written([Shown(), True]) == "'=1+1,True\r\n"


@fuzz(150)
@given(st.text(max_size=30))
@example("=1+1")
@example("\r\n@x")
def test_no_text_cell_reaches_a_spreadsheet_as_a_formula(text):
    (cell,) = next(csv.reader(io.StringIO(written([text]), newline="")))
    assert not cell.startswith(FORMULA_TRIGGERS)
    assert cell in (text, "'" + text)  # nothing else about the text changes


def test_the_export_streams(client):
    make_paper("Streamed paper")
    response = client.get(LIST, {"format": "csv"})
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="papers.csv"'
    assert response.getvalue().startswith("\ufeff".encode() + b"title,arxiv_id,url,published,authors,")


def test_the_export_stays_bounded(client, monkeypatch):
    monkeypatch.setattr(lists, "CSV_MAX_ROWS", 3)
    for number in range(5):
        make_paper(f"Bounded paper {number}")
    assert len(exported_rows(client)) == 3


def test_a_row_has_every_column_in_order(client):
    paper = make_paper("Columns", author="Zed Writer", arxiv_id="2402.00002")
    second = Author.objects.create(name="Amy Writer")
    Authorship.objects.create(paper=paper, author=second, position=2)
    paper.categories.add(Category.objects.create(code="cs.AI"))
    refresh_papers([paper.pk])  # as the importer and the admin do after every change
    Paper.objects.filter(pk=paper.pk).update(published="2024-02-03", languages=["ja", "en"])
    (row,) = exported_rows(client)
    assert row == {
        "title": "Columns",
        "arxiv_id": "2402.00002",
        "url": "http://testserver/papers/2402.00002/",
        "published": "2024-02-03",
        "authors": "Zed Writer; Amy Writer",  # in the paper's order, not by name
        "categories": "cs.AI; cs.LG",
        "languages": "ja; en",
    }


def test_the_query_count_does_not_grow_with_the_rows(client):
    make_paper("First of many")
    with CaptureQueriesContext(connection) as one_row:
        exported_rows(client)
    for number in range(30):
        code = f"cs.{chr(ord('A') + number // 26)}{chr(ord('A') + number % 26)}"
        make_paper(f"Another paper {number}", author=f"Author {number}", category=code)
    with CaptureQueriesContext(connection) as many_rows:
        assert len(exported_rows(client)) == 31
    assert len(many_rows) == len(one_row) <= 3


@pytest.fixture
def page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 600


def test_a_complete_export_is_served_from_the_cache_next_time(client, page_cache):
    make_paper("Cached export")
    first = client.get(LIST, {"format": "csv"}).getvalue()
    again = client.get(LIST, {"format": "csv"})
    assert again["X-Page-Cache"] == "hit"
    assert again.getvalue() == first
    assert again["Content-Disposition"] == 'attachment; filename="papers.csv"'


def test_an_export_the_reader_stopped_reading_is_not_cached(client, page_cache, monkeypatch):
    monkeypatch.setattr(csv_export, "CHUNK_CHARS", 1)  # one row per piece
    for number in range(3):
        make_paper(f"Half-read paper {number}")
    partly_read = client.get(LIST, {"format": "csv"})
    next(iter(partly_read.streaming_content))  # the reader went away after the first piece
    assert "X-Page-Cache" not in client.get(LIST, {"format": "csv"})


def test_an_export_larger_than_the_limit_is_not_cached(client, page_cache, monkeypatch):
    monkeypatch.setattr(cache, "MAX_STREAMED_BYTES", 100)
    for number in range(3):
        make_paper(f"A paper with a title long enough to pass the limit {number}")
    assert len(client.get(LIST, {"format": "csv"}).getvalue()) > 100
    second = client.get(LIST, {"format": "csv"})
    assert "X-Page-Cache" not in second
    assert second.getvalue().count(b"long enough") == 3
