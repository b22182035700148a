"""An editor's correction of a summary survives re-imports of its digest: the importer keeps the text and
says so in a warning (which the upload preview shows); the edit itself is in the summary's history."""

import pytest
from django.urls import reverse

from papers.ingest.importer import import_digest
from papers.models import Paper, Summary
from tests.conftest import SAMPLES

pytestmark = pytest.mark.django_db

NAME = "arxiv_jp_sample.txt"
KAN = "KAN: Kolmogorov-Arnold Networks"
ORIGINAL = (SAMPLES / NAME).read_text(encoding="utf-8")
KAN_JA = "コルモゴロフ・アーノルド表現定理に着想を得て"
CORRECTED = "コルモゴロフ–アーノルド表現定理に着想を得た KAN を提案します（編集部で訂正）。"
KEPT = (
    "kept an editor's correction of the ja abstract of 'KAN: Kolmogorov-Arnold Networks' "
    "(the digest's text differs)"
)


def kan_ja() -> Summary:
    return Summary.objects.get(paper__title=KAN, language="ja", entry__digest__name=NAME)


def summary_form(summary: Summary, **changes) -> dict:
    data = {
        "paper": summary.paper_id,
        "entry": summary.entry_id or "",
        "language": summary.language,
        "kind": summary.kind,
        "text": summary.text,
        "visibility": summary.visibility,
    }
    if summary.edited_by_editor:
        data["edited_by_editor"] = "on"
    return {**data, **changes}


def edit_in_admin(client, summary: Summary, text: str):
    url = reverse("admin:papers_summary_change", args=[summary.pk])
    return client.post(url, summary_form(summary, text=text))


def reimport(text: str, **kwargs):
    result = import_digest(text.encode("utf-8"), NAME, **kwargs)
    assert result.ok, result.errors
    return result


@pytest.fixture
def imported():
    reimport(ORIGINAL)


def test_editing_a_summary_in_the_admin_marks_it_and_records_who(admin_client, admin_user, imported):
    summary = kan_ja()
    assert not summary.edited_by_editor
    assert edit_in_admin(admin_client, summary, CORRECTED).status_code == 302
    summary.refresh_from_db()
    assert (summary.text, summary.edited_by_editor) == (CORRECTED, True)
    record = summary.history.latest()
    assert record.history_type == "~" and record.history_user == admin_user
    assert record.prev_record.text.startswith(KAN_JA)
    history = admin_client.get(reverse("admin:papers_summary_history", args=[summary.pk])).content.decode()
    assert "admin" in history and KAN_JA in history and CORRECTED in history  # who, text before → after
    assert record.prev_record.history_change_reason == f"imported from {NAME}"


def test_saving_without_changing_the_text_is_not_a_correction(admin_client, imported):
    summary = kan_ja()
    # Browsers send textarea lines with CRLF: the same text must not count as changed.
    assert edit_in_admin(admin_client, summary, summary.text.replace("\n", "\r\n")).status_code == 302
    summary.refresh_from_db()
    assert not summary.edited_by_editor
    assert "\r" not in summary.text


def test_a_reimport_keeps_the_correction_and_warns(admin_client, imported):
    edit_in_admin(admin_client, kan_ja(), CORRECTED)
    changed = ORIGINAL.replace(KAN_JA, "コルモゴロフ＝アーノルドの表現定理から着想を得て").replace(
        "長い系列に対する", "とても長い系列に対する"
    )
    preview = reimport(changed, dry_run=True)
    assert KEPT in preview.warnings
    result = reimport(changed)
    assert KEPT in result.warnings
    assert result.corrections_kept == 1
    assert result.summaries_updated == 1  # Mamba's text, which no editor touched, follows the file
    assert kan_ja().text == CORRECTED
    assert Summary.objects.get(paper__title__startswith="Mamba", language="ja").text.startswith("とても長い")
    assert KEPT in kan_ja().entry.digest.warnings  # kept with the digest, shown on its admin page


def test_a_reimport_that_drops_the_paper_keeps_the_correction_as_an_editors_text(admin_client, demo_papers):
    edit_in_admin(admin_client, kan_ja(), CORRECTED)
    without_kan = ORIGINAL[ORIGINAL.index("Mamba: Linear-Time") :]
    result = reimport(without_kan)
    kept = Summary.objects.get(text=CORRECTED)
    assert kept.entry is None and kept.paper.arxiv_id == "2404.19756"  # other digests still list KAN
    assert any("no longer lists the paper" in warning for warning in result.warnings)


def test_a_correction_made_inline_on_the_paper_page_is_marked_too(admin_client, imported):
    paper = Paper.objects.get(title=KAN)
    url = reverse("admin:papers_paper_change", args=[paper.pk])
    data = change_form_data(admin_client.get(url))
    summary = kan_ja()
    prefix = next(
        key[: -len("-id")] for key, value in data.items() if key.endswith("-id") and value == str(summary.pk)
    )
    untouched = data.copy()
    untouched[f"{prefix}-text"] = summary.text.replace("\n", "\r\n")
    assert admin_client.post(url, untouched).status_code == 302
    assert not Summary.objects.filter(paper=paper, edited_by_editor=True).exists()
    data[f"{prefix}-text"] = CORRECTED
    data["title"] = "KAN: Kolmogorov–Arnold Networks"  # inline title editing keeps working
    assert admin_client.post(url, data).status_code == 302
    assert list(
        Summary.objects.filter(paper=paper, edited_by_editor=True).values_list("text", flat=True)
    ) == [CORRECTED]
    paper.refresh_from_db()
    assert paper.title == "KAN: Kolmogorov–Arnold Networks"
    history = admin_client.get(reverse("admin:papers_paper_history", args=[paper.pk]))
    latest = history.context["page_obj"][0]
    assert latest.history_user.username == "admin"
    changes = {
        (str(change["field"]), change["old"], change["new"]) for change in latest.history_delta_changes
    }
    assert ("Title", KAN, "KAN: Kolmogorov–Arnold Networks") in changes


def change_form_data(response) -> dict:
    """The POST a browser would send for an admin change page as rendered (the form and every inline)."""
    data = {}

    def add(form) -> None:
        for name in form.fields:
            value = form[name].value()
            key = form.add_prefix(name)
            if value is None or value is False:
                continue
            if value is True:
                data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(item) for item in value]
            else:
                data[key] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data
