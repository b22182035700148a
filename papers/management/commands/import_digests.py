import glob
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from papers.ingest.importer import CREATED, UNCHANGED, UPDATED, DigestImportResult, import_digest

DIGEST_SUFFIXES = {".txt", ".md", ".html", ".htm"}


def expand_paths(arguments: list[str]) -> list[Path]:
    """Files as given; directories walked for digest files; anything else read as a glob."""
    found: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in DIGEST_SUFFIXES)
            )
        elif path.is_file():
            found.append(path)
        else:
            matches = sorted(Path(match) for match in glob.glob(argument, recursive=True))
            if not matches:
                raise CommandError(f"{argument}: no such file, directory or matching glob")
            found.extend(match for match in matches if match.is_file())
    return list(dict.fromkeys(found))


def result_as_json(path: Path, result: DigestImportResult) -> dict:
    parsed = result.parsed
    papers = []
    for paper in parsed.papers if parsed else []:
        papers.append(
            {
                "title": paper.title,
                "arxiv_id": paper.arxiv_id,
                "authors": paper.authors,
                "categories": paper.categories,
                "published": paper.published.isoformat() if paper.published else None,
                "summaries": [
                    {"language": s.language, "kind": s.kind, "text": s.text} for s in paper.summaries
                ],
                "links": [{"url": link.url, "kind": link.kind} for link in paper.links],
                "scores": paper.scores,
                "related": [
                    {
                        "title": related.title,
                        "score": related.score,
                        "date": related.published.isoformat() if related.published else None,
                    }
                    for related in paper.related
                ],
                "line": paper.line,
            }
        )
    return {
        "file": str(path),
        "format": result.family or None,
        "encoding": result.encoding or None,
        "issued": parsed.issued.isoformat() if parsed and parsed.issued else None,
        "identical": result.identical,
        "dry_run": result.dry_run,
        "papers": papers,
        "created": result.count(CREATED),
        "updated": result.count(UPDATED),
        "unchanged": result.count(UNCHANGED),
        "summaries_created": result.summaries_created,
        "warnings": result.warnings,
        "errors": result.errors,
    }


class Command(BaseCommand):
    help = "Import digest files (plain text or saved HTML pages); each file imports completely or not at all."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", help="files, directories or globs")
        parser.add_argument("--dry-run", action="store_true", help="parse and match, then roll back")
        parser.add_argument(
            "--json", action="store_true", help="print one JSON document instead of the table"
        )

    def handle(self, *args, paths: list[str], dry_run: bool, json: bool, **options) -> None:
        files = expand_paths(paths)
        if not files:
            raise CommandError(
                "no digest files found (looked for " + ", ".join(sorted(DIGEST_SUFFIXES)) + ")"
            )
        results: list[tuple[Path, DigestImportResult]] = []
        for path in tqdm(files, desc="Importing", unit="file", file=sys.stderr, disable=None):
            try:
                data = path.read_bytes()
            except OSError as error:
                result = DigestImportResult(name=path.name, errors=[f"cannot read file: {error.strerror}"])
            else:
                result = import_digest(data, path.name, dry_run=dry_run)
            results.append((path, result))
        if json:
            self.stdout.write(
                _json_dumps({"files": [result_as_json(path, result) for path, result in results]})
            )
        else:
            self._print_table(results, dry_run)
        failed = sum(1 for _, result in results if not result.ok)
        if failed:
            raise CommandError(f"{failed} of {len(results)} files failed; the others were imported")

    def _print_table(self, results: list[tuple[Path, DigestImportResult]], dry_run: bool) -> None:
        header = ("file", "format", "created", "updated", "unchanged", "summaries", "warnings", "errors")
        rows = [
            (
                path.name,
                result.family or "-",
                result.count(CREATED),
                result.count(UPDATED),
                result.count(UNCHANGED),
                result.summaries_created,
                len(result.warnings),
                len(result.errors),
            )
            for path, result in results
        ]
        totals = ("total", "", *(sum(row[i] for row in rows) for i in range(2, len(header))))
        widths = [max(len(str(row[i])) for row in [header, *rows, totals]) for i in range(len(header))]
        for row in [header, *rows, totals]:
            self.stdout.write(
                "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
            )
        for path, result in results:
            for message in result.errors:
                self.stdout.write(self.style.ERROR(f"{path}: error: {message}"))
            for message in result.warnings:
                self.stdout.write(self.style.WARNING(f"{path}: warning: {message}"))
            if result.identical and result.ok:
                self.stdout.write(f"{path}: identical to a digest imported before; nothing changed")
        if dry_run:
            self.stdout.write(self.style.NOTICE("dry run: nothing was written"))


def _json_dumps(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2)
