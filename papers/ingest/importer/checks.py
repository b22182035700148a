"""The catalogue's rules as an import meets them: what is checked of a parsed digest before anything is
written, and what an editor is told when the database refuses a row all the same.

Parsers already produce arXiv ids in arXiv's form, scores of 0 or more and valid category codes; these
checks hold for any ParsedDigest (a future parser, a test, a bug), so that a bad value is a message naming
its line instead of a constraint error, and never a stored value.
"""

from __future__ import annotations

import math

from django.apps import apps
from django.db import DatabaseError

from papers.identifiers import canonical_arxiv_id, is_category_code
from papers.ingest.parsed import DigestParseError, ParsedDigest
from papers.models import Paper

_MAX_ARXIV_ID = Paper._meta.get_field("arxiv_id").max_length
_ARXIV_ID_EXAMPLES = "arXiv ids look like 2404.19756 or hep-th/9901002"


def check_parsed(parsed: ParsedDigest, warnings: list[str]) -> None:
    """Bring ``parsed`` to the catalogue's rules in place: arXiv ids in arXiv's form, category codes that
    are not arXiv's dropped (a warning each line). Raises DigestParseError, naming the line, for an
    arXiv id or a score that cannot be stored."""
    for paper in parsed.papers:
        where = f"paper on line {paper.line}"
        paper.arxiv_id = _arxiv_id(paper.arxiv_id, where)
        for related in paper.related:
            related.arxiv_id = _arxiv_id(related.arxiv_id, f"related paper {related.title!r} of the {where}")
        for kind, value in paper.scores.items():
            if not (math.isfinite(value) and value >= 0):
                message = f"score {kind} = {value:g} is not valid (scores are 0 or more)"
                raise DigestParseError(f"{where}: {message}")
        rejected = [code for code in paper.categories if not is_category_code(code)]
        if rejected:
            paper.categories = [code for code in paper.categories if is_category_code(code)]
            pieces = ", ".join(map(repr, rejected))
            message = f"skipped what is not an arXiv category code (such as cs.LG): {pieces}"
            warnings.append(f"line {paper.line}: {message}")


def _arxiv_id(value: str | None, where: str) -> str | None:
    if not value:
        return None
    canonical = canonical_arxiv_id(value)
    if canonical is None or len(canonical) > _MAX_ARXIV_ID:
        raise DigestParseError(f"{where}: arXiv id {value!r} is not valid ({_ARXIV_ID_EXAMPLES})")
    return canonical


# Check constraints of the tables an import writes, as an editor reads them.
_CHECKS = {
    "paper_arxiv_id_format": f"an arXiv id is not in arXiv's form ({_ARXIV_ID_EXAMPLES})",
    "paper_title_not_empty": "a paper has an empty title",
    "paper_slug_format": "a paper's URL name holds characters a URL cannot carry",
    "paper_title_key_not_empty": "a paper's title has no letters or digits",
    "paper_visibility_valid": "a paper's visibility is neither published nor hidden",
    "category_code_format": "a category code is not an arXiv code such as cs.LG or hep-th",
    "authorship_position_positive": "an author's position is not 1 or more",
    "digest_status_valid": "the digest's status is unknown",
    "digest_checksum_sha256": "the digest's checksum is not a SHA-256",
    "entry_position_positive": "an entry's position is not 1 or more",
    "summary_kind_valid": "a summary is of an unknown kind",
    "summary_language_tag": "a summary's language is not a language code such as ja or en",
    "summary_text_not_empty": "a summary is empty",
    "summary_visibility_valid": "a summary's visibility is neither published nor hidden",
    "link_kind_valid": "a link is of an unknown kind",
    "link_url_http": "a link is not an http(s) address",
    "score_not_negative": "a score is below 0",
    "related_not_self": "a paper is listed as related to itself",
}
# By SQLSTATE, for what carries no constraint name or has none listed above.
_STATES = {
    "22001": "a value is longer than the catalogue allows",
    "22003": "a number is out of the range the catalogue allows",
    "22021": "a text holds bytes that are not valid characters",
    "22P05": "a text holds a character the database cannot store",
    "23502": "a required value is missing",
    "23503": "a row it refers to was deleted meanwhile; importing the file again may work",
    "23505": "another import stored the same {what} at the same time; importing the file again may work",
}


def refusal_reason(error: DatabaseError) -> str:
    """What the database refused, in an editor's words: never its message, which names the constraint and
    prints the whole row."""
    diag = getattr(error.__cause__, "diag", None)
    constraint = getattr(diag, "constraint_name", None) or ""
    state = getattr(error.__cause__, "sqlstate", None) or ""
    what = _row_name(getattr(diag, "table_name", None) or "")
    if constraint in _CHECKS:
        return _CHECKS[constraint]
    if state in _STATES:
        return _STATES[state].format(what=what)
    return f"a {what} breaks one of the catalogue's rules"


def _row_name(table: str) -> str:
    for model in apps.get_app_config("papers").get_models():
        if model._meta.db_table == table:
            return str(model._meta.verbose_name)
    return "row"
