"""CSV exports of paper lists: streamed, two queries however many rows, and safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, QuerySet
from django.http import HttpRequest, StreamingHttpResponse

from papers.models import Authorship, Category, Paper

# OWASP "CSV Injection": a cell starting with one of these is read by spreadsheet programs as a formula
# (=HYPERLINK(...) becomes a live link, =cmd|... runs a program in old Excel), or shifts the cell.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = ["title", "arxiv_id", "url", "published", "authors", "categories", "languages"]
ROWS_PER_QUERY = 2000  # rows a server-side cursor fetches at a time
CHUNK_CHARS = 64 * 1024  # how much text the response sends at a time


def spreadsheet_safe(cell: object) -> object:
    """A number as it is (a score of -1.5 stays the number -1.5); anything else as text, with a leading
    ``'`` when it would start a formula. The type decides, not how the text looks: a title "-1.5" is
    text and is written "'-1.5", so that no text cell is ever evaluated (OWASP prefixes every such
    cell). None is an empty cell."""
    if cell is None or (isinstance(cell, int | float | Decimal) and not isinstance(cell, bool)):
        return cell
    text = str(cell)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


class SpreadsheetSafeWriter:
    """``csv.writer`` whose cells pass through ``spreadsheet_safe``: the one way exports write CSV."""

    def __init__(self, file) -> None:
        self._writer = csv.writer(file)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([spreadsheet_safe(cell) for cell in row])


def papers_csv(request: HttpRequest, papers: QuerySet[Paper], max_rows: int) -> StreamingHttpResponse:
    """The first ``max_rows`` of ``papers`` (in their order) as a CSV download, streamed as it is read."""
    # The rows are read after the view returns: pick the database (a read replica or the primary) now,
    # inside the request's routing, as the view's own queries did.
    papers = papers.using(papers.db)
    # Codes by id, for the papers' own category_ids: a few hundred arXiv codes at most, read once
    # instead of joining the categories of every row.
    codes = dict(Category.objects.using(papers.db).values_list("pk", "code"))
    exported = _with_author_names(papers)[:max_rows].iterator(chunk_size=ROWS_PER_QUERY)
    rows = _csv_rows(request, exported, codes)
    response = StreamingHttpResponse(_csv_text(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="papers.csv"'
    return response


def _with_author_names(papers: QuerySet[Paper]) -> QuerySet[Paper]:
    """Only the columns a row shows, and the author names in the paper's order, in the same statement:
    no prefetch queries, no related model instances, no summary texts."""
    names = Authorship.objects.filter(paper=OuterRef("pk")).order_by("position").values("author__name")
    columns = ("title", "arxiv_id", "slug", "published", "languages", "category_ids")
    return papers.only(*columns).annotate(author_names=ArraySubquery(names))


def _csv_rows(request: HttpRequest, papers: Iterator[Paper], codes: dict[int, str]) -> Iterator[list]:
    site = request.build_absolute_uri("/").removesuffix("/")  # once, not per row: paths are URL-quoted
    yield COLUMNS
    for paper in papers:
        yield [
            paper.title,
            paper.arxiv_id or "",
            site + paper.get_absolute_url(),
            paper.published.isoformat() if paper.published else "",
            "; ".join(paper.author_names),
            "; ".join(sorted(codes[pk] for pk in paper.category_ids if pk in codes)),
            "; ".join(paper.languages),
        ]


def _csv_text(rows: Iterable[list]) -> Iterator[str]:
    """The rows as CSV text, in pieces of about CHUNK_CHARS."""
    buffer = io.StringIO()
    buffer.write("\ufeff")  # so that spreadsheet programs read the CJK text as UTF-8
    writer = SpreadsheetSafeWriter(buffer)
    for row in rows:
        writer.writerow(row)
        if buffer.tell() >= CHUNK_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
