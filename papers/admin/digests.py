"""Admin for digests and their import: sources, digests, entries (and, later, uploads and jobs)."""

from django.contrib import admin

from papers.models import Digest, DigestEntry, Source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "language", "url"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class DigestEntryInline(admin.TabularInline):
    model = DigestEntry
    extra = 0
    raw_id_fields = ["paper"]
    ordering = ["position"]


@admin.register(Digest)
class DigestAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "source",
        "issued",
        "status",
        "papers_created",
        "papers_updated",
        "papers_unchanged",
        "imported_at",
    ]
    list_filter = ["status", "source", "issued"]
    search_fields = ["name", "title", "checksum"]
    readonly_fields = ["checksum", "encoding", "created_at", "updated_at", "imported_at", "imported_by"]
    list_select_related = ["source"]
    inlines = [DigestEntryInline]


@admin.register(DigestEntry)
class DigestEntryAdmin(admin.ModelAdmin):
    list_display = ["digest", "position", "paper", "line"]
    list_filter = ["digest__source"]
    search_fields = ["paper__title", "paper__arxiv_id", "digest__name"]
    raw_id_fields = ["digest", "paper"]
    list_select_related = ["digest__source", "paper"]
