"""papers.db: rows read and written in one statement whose values travel as arrays, with one history record
per row written in the same statement."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from papers.db import AnyOf, as_columns, delete_rows, get_or_create_ids, insert_rows, update_rows
from papers.models import Category, Paper, Summary, Visibility

pytestmark = pytest.mark.django_db


def last_record(paper: Paper):
    return paper.history.order_by("-history_id").first()


def test_insert_rows_fills_the_other_fields_returns_what_was_asked_and_records_each_row():
    editor = get_user_model().objects.create(username="editor")
    rows = [
        ("Sparse Routing for Tiny Experts", "sparseroutingfortinyexperts", "sparse-routing-a"),
        ("Dense Retrieval at Scale", "denseretrievalatscale", "dense-retrieval-b"),
    ]
    with CaptureQueriesContext(connection) as captured:
        returned = insert_rows(
            Paper,
            as_columns(("title", "title_key", "slug"), rows),
            returning=("slug", "id"),
            history=(editor, "written in bulk"),
        )
    assert len(captured) == 1
    ids = dict(returned)
    assert set(ids) == {"sparse-routing-a", "dense-retrieval-b"}
    stored = Paper.objects.get(pk=ids["sparse-routing-a"])
    assert stored.title == "Sparse Routing for Tiny Experts" and stored.arxiv_id is None
    assert stored.visibility == Visibility.PUBLISHED and stored.languages == []
    assert stored.created_at is not None and stored.updated_at is not None
    record = stored.history.get()
    assert (record.history_type, record.history_change_reason, record.history_user) == (
        "+",
        "written in bulk",
        editor,
    )


def test_insert_rows_of_nothing_sends_no_statement():
    with CaptureQueriesContext(connection) as captured:
        assert insert_rows(Paper, {"title": []}, returning=("id",)) == []
    assert len(captured) == 0


def test_update_rows_gives_each_row_its_own_values_in_one_statement_with_a_change_record():
    first, second = Paper.objects.create(title="First Paper"), Paper.objects.create(title="Second Paper")
    first.abstract, second.abstract = "One.", "Two."
    with CaptureQueriesContext(connection) as captured:
        update_rows(Paper, ["abstract"], [first, second], history=(None, "abstracts given"))
    assert len(captured) == 1
    abstracts = dict(Paper.objects.values_list("title", "abstract"))
    assert abstracts == {"First Paper": "One.", "Second Paper": "Two."}
    for paper in (first, second):
        record = last_record(paper)
        assert (record.history_type, record.history_change_reason) == ("~", "abstracts given")


def test_delete_rows_removes_only_the_given_rows_and_records_what_each_held():
    paper = Paper.objects.create(title="Kept Paper")
    gone = Summary.objects.create(paper=paper, language="en", kind="abstract", text="First text.")
    kept = Summary.objects.create(paper=paper, language="en", kind="summary", text="Second text.")
    delete_rows(Summary, [gone.pk], history=(None, "dropped"))
    assert list(Summary.objects.values_list("pk", flat=True)) == [kept.pk]
    record = Summary.history.get(id=gone.pk, history_type="-")
    assert (record.history_change_reason, record.text) == ("dropped", "First text.")


def test_get_or_create_ids_reads_existing_values_in_one_query_and_inserts_only_the_missing():
    existing = Category.objects.create(code="cs.LG", name="Machine Learning")
    with CaptureQueriesContext(connection) as captured:
        ids = get_or_create_ids(Category, "code", ["cs.LG"], lambda new: {"name": ["" for _ in new]})
    assert ids == {"cs.LG": existing.pk} and len(captured) == 1
    ids = get_or_create_ids(
        Category, "code", ["cs.LG", "cs.CL"], lambda new: {"name": [f"named {code}" for code in new]}
    )
    assert ids["cs.LG"] == existing.pk and Category.objects.count() == 2
    assert Category.objects.get(pk=ids["cs.CL"]).name == "named cs.CL"
    assert Category.objects.get(pk=existing.pk).name == "Machine Learning"


def test_any_of_matches_the_listed_values_with_one_array_parameter():
    papers = [Paper.objects.create(title=f"Paper number {number}") for number in range(3)]
    wanted = [papers[0].pk, papers[2].pk]
    query = Paper.objects.filter(AnyOf("pk", wanted))
    assert sorted(query.values_list("pk", flat=True)) == wanted
    sql, params = query.query.sql_with_params()
    assert "= ANY(" in sql and list(params) == [wanted]
    assert not Paper.objects.filter(AnyOf("pk", [])).exists()
