"""Admin for the catalogue: papers, authors, categories, summaries and their parts."""

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from papers.catalogue import refresh_papers
from papers.models import (
    Author,
    Authorship,
    Category,
    Paper,
    PaperLink,
    RelatedPaper,
    Score,
    Summary,
)


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


class AuthorshipInline(admin.TabularInline):
    model = Authorship
    extra = 0
    autocomplete_fields = ["author"]
    ordering = ["position"]


class SummaryInline(admin.StackedInline):
    model = Summary
    extra = 0
    fields = [("language", "kind", "visibility"), "text", "entry"]
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
class PaperAdmin(admin.ModelAdmin):
    list_display = ["title", "arxiv_id", "published", "visibility", "summary_count", "updated_at"]
    list_filter = ["visibility", "categories", "entries__digest__source", "published"]
    search_fields = ["title", "arxiv_id", "authors__name"]
    date_hierarchy = "published"
    readonly_fields = ["slug", "title_key", "created_at", "updated_at"]
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


@admin.register(Author)
class AuthorAdmin(RefreshesPapers, admin.ModelAdmin):
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


@admin.register(Category)
class CategoryAdmin(RefreshesPapers, admin.ModelAdmin):
    def affected_papers(self, category: Category) -> list[int]:
        return list(category.papers.values_list("pk", flat=True))

    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Summary)
class SummaryAdmin(RefreshesPapers, admin.ModelAdmin):
    list_display = ["paper", "language", "kind", "visibility", "entry", "updated_at"]
    list_filter = ["language", "kind", "visibility", "entry__digest__source"]
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
