"""How a paper is cited outside its page's prose: its arXiv address, a BibTeX entry and the JSON-LD
``<script>`` for search engines."""

from __future__ import annotations

import re

from django.utils.html import json_script
from django.utils.safestring import SafeString, mark_safe

from papers.models import Paper


def arxiv_abs_url(paper: Paper) -> str:
    return f"https://arxiv.org/abs/{paper.arxiv_id}" if paper.arxiv_id else ""


def ld_json_script(data: dict) -> SafeString:
    """``<script type="application/ld+json">`` with json_script's escaping (``<``, ``>``, ``&`` as
    ``\\u003C``…), so no text can close the element."""
    script = json_script(data)
    return mark_safe(
        script.replace('<script type="application/json">', '<script type="application/ld+json">', 1)
    )


# -- BibTeX -------------------------------------------------------------------------------------------

_BIBTEX_SPECIAL = re.compile(r"[\\{}&%$#_~^]")
_BIBTEX_REPLACEMENTS = {"\\": r"\textbackslash{}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def bibtex_escape(text: str) -> str:
    """Braces, backslashes and LaTeX's other special characters, so any title compiles as printed."""
    return _BIBTEX_SPECIAL.sub(lambda match: _BIBTEX_REPLACEMENTS.get(match[0], "\\" + match[0]), text)


def _bibtex_name(name: str) -> str:
    escaped = bibtex_escape(name)
    # "and" separates names in BibTeX: a name that contains the word is kept whole in braces.
    return f"{{{escaped}}}" if re.search(r"\band\b", name, re.IGNORECASE) else escaped


def bibtex(paper: Paper, authors: list[str], url: str) -> str:
    key = re.sub(r"[^\w.:/-]", "", paper.arxiv_id or paper.slug)
    fields = [("title", bibtex_escape(paper.title))]
    if authors:
        fields.append(("author", " and ".join(_bibtex_name(name) for name in authors)))
    if paper.arxiv_id:
        fields.append(("journal", f"arXiv preprint arXiv:{bibtex_escape(paper.arxiv_id)}"))
    if paper.published:
        fields.append(("year", str(paper.published.year)))
    if paper.arxiv_id:
        fields += [("eprint", bibtex_escape(paper.arxiv_id)), ("archivePrefix", "arXiv")]
    # URLs are read verbatim (\url): drop only what would break the braces.
    fields.append(("url", re.sub(r"[{}\\\s]", "", arxiv_abs_url(paper) or url)))
    body = "".join(f"  {name}={{{value}}},\n" for name, value in fields)
    return f"@article{{{key},\n{body}}}"
