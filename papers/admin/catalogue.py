"""Admin for the catalogue: papers, authors, categories, summaries and their parts.

Editors' tools live here as admin actions (merge duplicates, hide, publish); the work itself is done by
papers.curation, in one transaction each.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from simple_history.admin import SimpleHistoryAdmin

from papers.curation import merge_authors, merge_papers, set_visibility
from papers.models import (
    Author,
    Authorship,
    Category,
    Paper,
    PaperLink,
    RelatedPaper,
    Score,
    Summary,
    Visibility,
)
from papers.search.index import refresh_papers

MERGE_MAX = 20  # more than this at once is a mistake (a whole result page selected), not duplicates


class RefreshesPapers:
    """Recomputes the search vector and facet columns of the papers an admin change touches, in the
    same transaction as the change (the admin wraps each save in one), so search is never stale."""

    def affected_papers(self, obj) -> list[int]:
        return [obj.paper_id]

    def save_model(self, request, obj, form, change) -> None:
        before = self.affected_papers(obj) if change and obj.pk else []
        super().save_model(request, obj, form, change)
        refresh_papers(before + self.affected_papers(obj))

    def delete_model(self, request, obj) -> None:
        papers = self.affected_papers(obj)
        super().delete_model(request, obj)
        refresh_papers(papers)

    def delete_queryset(self, request, queryset) -> None:
        papers = [pk for obj in queryset for pk in self.affected_papers(obj)]
        super().delete_queryset(request, queryset)
        refresh_papers(papers)


class EditorTextField(forms.CharField):
    """Browsers send textarea lines ending in CRLF: compare and store them as LF, so that saving a page
    does not count an untouched multi-line text as changed."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n").replace("\r", "\n") if value else value


class SummaryForm(forms.ModelForm):
    """The form of a summary in its own page and inline on its paper's page. A changed text is an
    editor's correction: ``edited_by_editor`` is set, and re-imports keep it (see the importer)."""

    text = EditorTextField(widget=forms.Textarea)

    class Meta:
        model = Summary
        fields = ["paper", "entry", "language", "kind", "text", "visibility", "edited_by_editor"]

    def save(self, commit: bool = True) -> Summary:
        if "text" in self.changed_data:
            self.instance.edited_by_editor = True
        return super().save(commit)


class KeepForm(forms.Form):
    """The merge page's choice: which of the selected rows stays."""

    keep = forms.ModelChoiceField(queryset=None, widget=forms.RadioSelect, empty_label=None)

    def __init__(self, *args, queryset: QuerySet, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["keep"].queryset = queryset


class CuratesVisibility:
    """The actions to hide or publish the selected rows, each with a history record; search refreshed."""

    actions = ["hide_selected", "publish_selected"]

    def _set_visibility(self, request, queryset, visibility: str) -> None:
        changed = set_visibility(queryset, visibility, user=request.user)
        opts = self.model._meta
        name = opts.verbose_name if changed == 1 else opts.verbose_name_plural
        label = Visibility(visibility).label.lower()
        self.message_user(request, f"{changed} {name} now {label}.", messages.SUCCESS)

    @admin.action(description="Hide selected", permissions=["change"])
    def hide_selected(self, request, queryset) -> None:
        self._set_visibility(request, queryset, Visibility.HIDDEN)

    @admin.action(description="Publish selected", permissions=["change"])
    def publish_selected(self, request, queryset) -> None:
        self._set_visibility(request, queryset, Visibility.PUBLISHED)


def merge_page(model_admin, request, rows: QuerySet, *, action: str, merge, suggested, title: str):
    """The intermediate page of a merge action: pick the row that stays, then POST performs the merge.
    Returns ``None`` (back to the changelist, with a message) once merged or when the choice is not
    possible."""
    opts = model_admin.model._meta
    rows = list(rows)
    if not 2 <= len(rows) <= MERGE_MAX:
        model_admin.message_user(
            request,
            f"Select between 2 and {MERGE_MAX} {opts.verbose_name_plural} to merge.",
            messages.WARNING,
        )
        return None
    pks = [row.pk for row in rows]
    form = KeepForm(
        request.POST if "post" in request.POST else None,
        queryset=model_admin.model.objects.filter(pk__in=pks),
        initial={"keep": suggested(rows).pk},
    )
    if form.is_bound and form.is_valid():
        keep = form.cleaned_data["keep"]
        others = [row for row in rows if row.pk != keep.pk]
        try:
            report = merge(keep, others, request.user)
        except ValueError as error:
            model_admin.message_user(request, f"Nothing was merged: {error}.", messages.ERROR)
            return None
        described = report.describe()
        model_admin.log_change(request, keep, described)
        name = opts.verbose_name if len(others) == 1 else opts.verbose_name_plural
        model_admin.message_user(request, f"Merged {len(others)} {name} into “{keep}”: {described}.")
        return None
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "subtitle": None,
        "opts": opts,
        "rows": rows,
        "form": form,
        "keep_pk": str(form["keep"].value()),
        "action": action,
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, f"admin/{opts.app_label}/{opts.model_name}/merge.html", context)


class AuthorshipInline(admin.TabularInline):
    model = Authorship
    extra = 0
    autocomplete_fields = ["author"]
    ordering = ["position"]


class SummaryInline(admin.StackedInline):
    model = Summary
    form = SummaryForm
    extra = 0
    fields = [("language", "kind", "visibility", "edited_by_editor"), "text", "entry"]
    raw_id_fields = ["entry"]


class PaperLinkInline(admin.TabularInline):
    model = PaperLink
    extra = 0
    raw_id_fields = ["entry"]


class ScoreInline(admin.TabularInline):
    model = Score
    extra = 0
    raw_id_fields = ["entry"]


class RelatedPaperInline(admin.TabularInline):
    model = RelatedPaper
    fk_name = "paper"
    extra = 0
    raw_id_fields = ["related", "entry"]


@admin.register(Paper)
class PaperAdmin(CuratesVisibility, SimpleHistoryAdmin):
    actions = ["merge_selected", *CuratesVisibility.actions]
    object_history_template = "admin/papers/paper/object_history.html"
    list_display = ["title", "arxiv_id", "published", "visibility", "summary_count", "updated_at"]
    list_filter = ["visibility", "categories", "entries__digest__source", "published"]
    search_fields = ["title", "arxiv_id", "authors__name"]
    date_hierarchy = "published"
    # The English abstract readers see is a summary (in the inline below), which an editor can correct
    # or hide; this is the importer's record of what the digests gave.
    readonly_fields = ["slug", "title_key", "abstract", "created_at", "updated_at"]
    filter_horizontal = ["categories"]
    inlines = [AuthorshipInline, SummaryInline, PaperLinkInline, ScoreInline, RelatedPaperInline]
    list_per_page = 50
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Paper]:
        return super().get_queryset(request).annotate(summary_total=Count("summaries", distinct=True))

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)  # the inlines are saved by now
        refresh_papers([form.instance.pk])

    @admin.display(description="Summaries", ordering="summary_total")
    def summary_count(self, paper: Paper) -> int:
        return paper.summary_total

    def has_merge_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("papers.merge_paper")

    @admin.action(description="Merge selected papers…", permissions=["merge"])
    def merge_selected(self, request: HttpRequest, queryset: QuerySet[Paper]):
        rows = (
            Paper.objects.filter(pk__in=queryset.values("pk"))
            .defer("search_vector")
            .annotate(
                summaries_n=Count("summaries", distinct=True), digests_n=Count("entries", distinct=True)
            )
            .prefetch_related(
                Prefetch(
                    "authorships", queryset=Authorship.objects.select_related("author").order_by("position")
                )
            )
            .order_by("pk")[: MERGE_MAX + 1]
        )
        return merge_page(
            self,
            request,
            rows,
            action="merge_selected",
            merge=merge_papers,
            # The paper with an arXiv id and the most digests is usually the one to keep.
            suggested=lambda rows: max(
                rows, key=lambda p: (bool(p.arxiv_id), p.digests_n, p.summaries_n, -p.pk)
            ),
            title="Merge papers",
        )

    def history_view(self, request, object_id, extra_context=None):
        """simple-history's view (who, when, before → after per field) plus the admin's log for this
        paper, which holds merge messages in full (a history change reason is at most 100 characters)."""
        log = LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Paper), object_id=str(object_id)
        ).select_related("user")
        return super().history_view(request, object_id, {"admin_log": log[:50], **(extra_context or {})})


@admin.register(Author)
class AuthorAdmin(RefreshesPapers, admin.ModelAdmin):
    actions = ["merge_selected"]

    def affected_papers(self, author: Author) -> list[int]:
        return list(author.authorships.values_list("paper_id", flat=True))

    list_display = ["name", "name_key", "paper_count"]
    search_fields = ["name", "name_key"]
    readonly_fields = ["name_key", "created_at"]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Author]:
        return super().get_queryset(request).annotate(paper_total=Count("authorships", distinct=True))

    @admin.display(description="Papers", ordering="paper_total")
    def paper_count(self, author: Author) -> int:
        return author.paper_total

    def has_merge_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("papers.merge_author")

    @admin.action(description="Merge selected authors…", permissions=["merge"])
    def merge_selected(self, request: HttpRequest, queryset: QuerySet[Author]):
        rows = (
            Author.objects.filter(pk__in=queryset.values("pk"))
            .annotate(papers_n=Count("authorships__paper", distinct=True))
            .order_by("pk")[: MERGE_MAX + 1]
        )
        return merge_page(
            self,
            request,
            rows,
            action="merge_selected",
            merge=merge_authors,
            # The spelling on the most papers, then the fuller name ("Albert Gu" over "A Gu").
            suggested=lambda rows: max(rows, key=lambda a: (a.papers_n, len(a.name), -a.pk)),
            title="Merge authors",
        )


@admin.register(Category)
class CategoryAdmin(RefreshesPapers, admin.ModelAdmin):
    def affected_papers(self, category: Category) -> list[int]:
        return list(category.papers.values_list("pk", flat=True))

    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Summary)
class SummaryAdmin(CuratesVisibility, RefreshesPapers, SimpleHistoryAdmin):
    form = SummaryForm
    list_display = ["paper", "language", "kind", "visibility", "edited_by_editor", "entry", "updated_at"]
    list_filter = ["language", "kind", "visibility", "edited_by_editor", "entry__digest__source"]
    search_fields = ["text", "paper__title", "paper__arxiv_id"]
    raw_id_fields = ["paper", "entry"]
    list_select_related = ["paper", "entry__digest__source"]
    show_full_result_count = False


@admin.register(Authorship)
class AuthorshipAdmin(RefreshesPapers, admin.ModelAdmin):
    list_display = ["paper", "position", "author"]
    search_fields = ["paper__title", "author__name"]
    raw_id_fields = ["paper", "author"]
    list_select_related = ["paper", "author"]


@admin.register(PaperLink)
class PaperLinkAdmin(RefreshesPapers, admin.ModelAdmin):
    list_display = ["url", "kind", "paper"]
    list_filter = ["kind"]
    search_fields = ["url", "paper__title"]
    raw_id_fields = ["paper", "entry"]
    list_select_related = ["paper"]


@admin.register(Score)
class ScoreAdmin(RefreshesPapers, admin.ModelAdmin):
    list_display = ["paper", "kind", "value", "source"]
    list_filter = ["kind", "source"]
    search_fields = ["paper__title"]
    raw_id_fields = ["paper", "entry"]
    list_select_related = ["paper", "source"]


@admin.register(RelatedPaper)
class RelatedPaperAdmin(admin.ModelAdmin):
    list_display = ["paper", "related", "score", "position"]
    search_fields = ["paper__title", "related__title"]
    raw_id_fields = ["paper", "related", "entry"]
    list_select_related = ["paper", "related"]
