"""Restoring a catalogue backup (the format: :mod:`papers.backup.format`).

Import expects an empty catalogue, runs in the caller's transaction, inserts in file order (so a second export
of the restored catalogue is byte-identical to the first) and keeps only natural key → id maps in memory.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, models, transaction

from papers.backup.format import (
    CATALOGUE_MODELS,
    FIELDS,
    FORMAT,
    SUPPORTED_VERSIONS,
    TYPES,
    BackupError,
    catalogue_is_empty,
)
from papers.identifiers import match_key
from papers.models import (
    Author,
    AuthorRedirect,
    Authorship,
    Category,
    Digest,
    DigestEntry,
    Paper,
    PaperLink,
    PaperRedirect,
    RelatedPaper,
    Score,
    Source,
    Summary,
)
from papers.search.index import refresh_all

BATCH_SIZE = 1000


@dataclass
class CatalogueImportResult:
    """What restoring a backup did: the rows restored by type, the papers refreshed, the warnings."""

    counts: dict[str, int]
    refreshed: int = 0
    warnings: list[str] = field(default_factory=list)


def import_catalogue(lines: Iterable[bytes | str], batch_size: int = BATCH_SIZE) -> CatalogueImportResult:
    """Restore an export into an empty catalogue in one transaction, then recompute the derived columns.

    ``lines`` is the file's lines (bytes or str), e.g. a file opened in binary mode. Raises
    :class:`BackupError`, naming the line, for anything it cannot restore; nothing is kept then.
    """
    with transaction.atomic():
        if not catalogue_is_empty():
            found = ", ".join(
                f"{model.objects.count()} {model._meta.verbose_name_plural}"
                for model in CATALOGUE_MODELS
                if model.objects.exists()
            )
            raise BackupError(
                f"The catalogue is not empty ({found}): a backup can only be imported into an empty "
                "catalogue. Restore into a fresh database (manage.py migrate), or delete the catalogue first."
            )
        importer = _Importer(batch_size)
        for number, line in enumerate(lines, start=1):
            importer.feed(number, line)
        return importer.finish()


def _datetime(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if value is not None else None


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {value!r}")
    return value


class _Importer:
    def __init__(self, batch_size: int) -> None:
        self.batch_size = batch_size
        self.header: dict | None = None
        self.type_index = -1
        self.pending: list[tuple[int, dict]] = []
        self.counts = dict.fromkeys(TYPES, 0)
        self.warnings: list[str] = []
        # Natural key → id, for the references of later records.
        self.sources: dict[str, int] = {}
        self.categories: dict[str, int] = {}
        self.authors: dict[str, int] = {}
        self.digests: dict[tuple, int] = {}
        self.papers: dict[str, int] = {}
        self.entries: dict[tuple, int] = {}
        self.users: dict[str, int | None] = {}

    # Reading lines.

    def feed(self, number: int, line: bytes | str) -> None:
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError as error:
                raise BackupError(f"line {number}: not UTF-8 ({error})") from None
        if not line.strip():
            return
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise BackupError(
                f"line {number}: malformed JSON ({error.msg} at column {error.colno})"
            ) from None
        if not isinstance(record, dict):
            raise BackupError(f"line {number}: expected a JSON object, got {type(record).__name__}")
        kind = record.get("type")
        if self.header is None:
            self._read_header(number, record)
            return
        if kind == "header":
            raise BackupError(f"line {number}: a second header")
        if kind not in FIELDS:
            raise BackupError(f"line {number}: unknown record type {kind!r}")
        missing = [name for name in FIELDS[kind] if name not in record]
        if missing:
            raise BackupError(f"line {number}: {kind} record without {', '.join(missing)}")
        index = TYPES.index(kind)
        if index < self.type_index:
            raise BackupError(
                f"line {number}: a {kind} record after the {TYPES[self.type_index]} records "
                f"(records come grouped in this order: {', '.join(TYPES)})"
            )
        if index != self.type_index:
            self._flush()
            self.type_index = index
        self.pending.append((number, record))
        self.counts[kind] += 1
        if len(self.pending) >= self.batch_size:
            self._flush()

    def _read_header(self, number: int, record: dict) -> None:
        if record.get("type") != "header" or record.get("format") != FORMAT:
            raise BackupError(
                f"line {number}: not a catalogue export (the first line must be the "
                f'{{"type":"header","format":"{FORMAT}",…}} header)'
            )
        version = record.get("version")
        if version not in SUPPORTED_VERSIONS or isinstance(version, bool):
            supported = ", ".join(str(v) for v in sorted(SUPPORTED_VERSIONS))
            raise BackupError(
                f"line {number}: unsupported format version {version!r} (this release reads version "
                f"{supported})"
            )
        counts = record.get("counts")
        if not isinstance(counts, dict) or not all(
            isinstance(value, int) and not isinstance(value, bool) for value in counts.values()
        ):
            raise BackupError(f"line {number}: the header's counts must be an object of integers")
        self.header = record

    def finish(self) -> CatalogueImportResult:
        if self.header is None:
            raise BackupError("empty file: no header line")
        self._flush()
        announced = self.header["counts"]
        for kind in TYPES:
            if announced.get(kind, 0) != self.counts[kind]:
                raise BackupError(
                    f"the header announces {announced.get(kind, 0)} {kind} records but the file holds "
                    f"{self.counts[kind]}: is it truncated?"
                )
        self._reset_author_ids()
        return CatalogueImportResult(counts=self.counts, refreshed=refresh_all(), warnings=self.warnings)

    def _reset_author_ids(self) -> None:
        """New authors continue after the restored ids and never take an id an author redirect holds."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST(1, "
                f"(SELECT MAX(id) FROM {Author._meta.db_table}), "
                f"(SELECT MAX(old_id) FROM {AuthorRedirect._meta.db_table})))",
                [Author._meta.db_table],
            )

    # Writing batches.

    def _flush(self) -> None:
        if not self.pending:
            return
        kind = TYPES[self.type_index]
        batch, self.pending = self.pending, []
        try:
            getattr(self, f"_insert_{kind}")(batch)
        except DatabaseError as error:
            first, last = batch[0][0], batch[-1][0]
            where = f"line {first}" if first == last else f"lines {first}–{last}"
            raise BackupError(f"{where} ({kind} records): {str(error).strip()}") from error

    def _build(self, batch: list[tuple[int, dict]], make: Callable[[dict], Any]) -> list:
        built = []
        for number, record in batch:
            try:
                built.append(make(record))
            except (BackupError, ValueError, TypeError) as error:
                raise BackupError(f"line {number}: {error}") from None
        return built

    @staticmethod
    def _create(model: type[models.Model], objs: list, stamps: tuple[str, ...] = ()) -> list:
        """bulk_create, then put back the timestamps auto_now/auto_now_add replaced."""
        kept = [[getattr(obj, name) for name in stamps] for obj in objs]
        model.objects.bulk_create(objs)
        if stamps:
            for obj, values in zip(objs, kept, strict=True):
                for name, value in zip(stamps, values, strict=True):
                    if value is not None:
                        setattr(obj, name, value)
            model.objects.bulk_update(objs, stamps)
        return objs

    @staticmethod
    def _ref(mapping: dict, key: Any, what: str) -> int:
        if isinstance(key, list):
            key = tuple(key)
        try:
            return mapping[key]
        except (KeyError, TypeError):
            raise BackupError(f"unknown {what} {key!r}") from None

    def _paper(self, key: Any) -> int:
        return self._ref(self.papers, key, "paper")

    def _entry(self, key: Any) -> int | None:
        return None if key is None else self._ref(self.entries, key, "digest entry")

    def _user(self, username: Any) -> int | None:
        if username is None:
            return None
        if username not in self.users:
            user_model = get_user_model()
            user = user_model.objects.filter(**{user_model.USERNAME_FIELD: username}).first()
            self.users[username] = user.pk if user else None
            if user is None:
                self.warnings.append(f"no user {username!r}: digests they imported keep no importer")
        return self.users[username]

    def _insert_source(self, batch) -> None:
        objs = self._build(
            batch,
            lambda r: Source(slug=r["slug"], name=r["name"], url=r["url"], language=r["language"]),
        )
        for obj in self._create(Source, objs):
            self.sources[obj.slug] = obj.pk

    def _insert_category(self, batch) -> None:
        objs = self._build(batch, lambda r: Category(code=r["code"], name=r["name"]))
        for obj in self._create(Category, objs):
            self.categories[obj.code] = obj.pk

    def _insert_author(self, batch) -> None:
        def make(r: dict) -> Author:
            return Author(
                id=_integer(r["id"]),
                name=r["name"],
                name_key=match_key(r["name"]),
                created_at=_datetime(r["created_at"]),
            )

        for obj in self._create(Author, self._build(batch, make), ("created_at",)):
            self.authors[obj.name] = obj.pk

    def _insert_digest(self, batch) -> None:
        def make(r: dict) -> Digest:
            return Digest(
                source_id=self._ref(self.sources, r["source"], "source"),
                name=r["name"],
                title=r["title"],
                url=r["url"],
                checksum=r["checksum"],
                encoding=r["encoding"],
                issued=_date(r["issued"]),
                status=r["status"],
                papers_created=_integer(r["papers_created"]),
                papers_updated=_integer(r["papers_updated"]),
                papers_unchanged=_integer(r["papers_unchanged"]),
                summaries_count=_integer(r["summaries_count"]),
                warnings=r["warnings"],
                error=r["error"],
                imported_by_id=self._user(r["imported_by"]),
                imported_at=_datetime(r["imported_at"]),
                created_at=_datetime(r["created_at"]),
                updated_at=_datetime(r["updated_at"]),
            )

        objs = self._build(batch, make)
        for obj, (_, record) in zip(
            self._create(Digest, objs, ("created_at", "updated_at")), batch, strict=True
        ):
            self.digests[(record["source"], obj.name)] = obj.pk

    def _insert_paper(self, batch) -> None:
        def make(r: dict) -> tuple[Paper, list[int], list[int]]:
            if not isinstance(r["slug"], str) or not r["slug"]:
                raise ValueError("a paper needs its slug")
            if not isinstance(r["authors"], list) or not isinstance(r["categories"], list):
                raise TypeError("authors and categories must be lists")
            paper = Paper(
                arxiv_id=r["arxiv_id"] or None,
                slug=r["slug"],
                title=r["title"],
                title_key=match_key(r["title"]),
                published=_date(r["published"]),
                abstract=r["abstract"],
                visibility=r["visibility"],
                created_at=_datetime(r["created_at"]),
                updated_at=_datetime(r["updated_at"]),
            )
            authors = [self._ref(self.authors, name, "author") for name in r["authors"]]
            categories = [self._ref(self.categories, code, "category") for code in r["categories"]]
            return paper, authors, categories

        built = self._build(batch, make)
        self._create(Paper, [paper for paper, _, _ in built], ("created_at", "updated_at"))
        authorships, categories = [], []
        through = Paper.categories.through
        for paper, author_ids, category_ids in built:
            self.papers[paper.arxiv_id or paper.slug] = paper.pk
            authorships += [
                Authorship(paper_id=paper.pk, author_id=author_id, position=position)
                for position, author_id in enumerate(author_ids, start=1)
            ]
            categories += [through(paper_id=paper.pk, category_id=pk) for pk in category_ids]
        Authorship.objects.bulk_create(authorships)
        through.objects.bulk_create(categories)

    def _insert_entry(self, batch) -> None:
        def make(r: dict) -> tuple[DigestEntry, tuple]:
            digest = r["digest"]
            entry = DigestEntry(
                digest_id=self._ref(self.digests, digest, "digest"),
                position=_integer(r["position"]),
                paper_id=self._paper(r["paper"]),
                line=_integer(r["line"]),
            )
            return entry, (*digest, entry.position)

        built = self._build(batch, make)
        self._create(DigestEntry, [entry for entry, _ in built])
        for entry, key in built:
            self.entries[key] = entry.pk

    def _insert_summary(self, batch) -> None:
        def make(r: dict) -> Summary:
            if not isinstance(r["edited_by_editor"], bool):
                raise TypeError("edited_by_editor must be true or false")
            return Summary(
                paper_id=self._paper(r["paper"]),
                entry_id=self._entry(r["entry"]),
                language=r["language"],
                kind=r["kind"],
                text=r["text"],
                visibility=r["visibility"],
                edited_by_editor=r["edited_by_editor"],
                created_at=_datetime(r["created_at"]),
                updated_at=_datetime(r["updated_at"]),
            )

        self._create(Summary, self._build(batch, make), ("created_at", "updated_at"))

    def _insert_link(self, batch) -> None:
        def make(r: dict) -> PaperLink:
            return PaperLink(
                paper_id=self._paper(r["paper"]),
                entry_id=self._entry(r["entry"]),
                kind=r["kind"],
                url=r["url"],
            )

        self._create(PaperLink, self._build(batch, make))

    def _insert_score(self, batch) -> None:
        def make(r: dict) -> Score:
            if isinstance(r["value"], bool) or not isinstance(r["value"], int | float):
                raise TypeError(f"a score's value must be a number, got {r['value']!r}")
            return Score(
                paper_id=self._paper(r["paper"]),
                source_id=self._ref(self.sources, r["source"], "source"),
                entry_id=self._entry(r["entry"]),
                kind=r["kind"],
                value=r["value"],
            )

        self._create(Score, self._build(batch, make))

    def _insert_related(self, batch) -> None:
        def make(r: dict) -> RelatedPaper:
            return RelatedPaper(
                paper_id=self._paper(r["paper"]),
                related_id=self._paper(r["related"]),
                entry_id=self._entry(r["entry"]),
                position=_integer(r["position"]),
                score=r["score"],
            )

        self._create(RelatedPaper, self._build(batch, make))

    def _insert_paper_redirect(self, batch) -> None:
        def make(r: dict) -> PaperRedirect:
            return PaperRedirect(
                old_key=r["old_key"], paper_id=self._paper(r["paper"]), created_at=_datetime(r["created_at"])
            )

        self._create(PaperRedirect, self._build(batch, make), ("created_at",))

    def _insert_author_redirect(self, batch) -> None:
        def make(r: dict) -> AuthorRedirect:
            return AuthorRedirect(
                old_id=_integer(r["old_id"]),
                author_id=self._ref(self.authors, r["author"], "author"),
                created_at=_datetime(r["created_at"]),
            )

        self._create(AuthorRedirect, self._build(batch, make), ("created_at",))
