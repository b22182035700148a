"""A saved web page of a digest -> the plain text the family parsers read like the text version.

Output conventions (the family parsers rely on them):

- Blocks are separated by one blank line: headings, paragraphs, a div's own text, ``dt``/``dd``, each table
  row, ``pre``, and each list and blockquote as a whole.
- A list item is a line ``- text`` (ordered lists: ``1. text``, honouring ``start``/``value``); its further
  lines (``<br>``, nested paragraphs) follow unmarked, nested lists follow flat; items are not separated by
  blank lines.
- Each line of a blockquote is prefixed ``> `` (nested quotes: ``> > ``).
- ``<br>`` is a line break; any other run of whitespace (``&nbsp;`` too) is one space; a table row is one
  line with its cells joined by a space; ``pre`` keeps its spacing.
- A link whose text is not its URL is ``text <https://absolute/url>`` (see ``text.split_links``); a link
  that shows its URL, even shortened with "…", is the bare absolute URL; a link that is in-page (``#x``),
  not http(s), or relative without a ``<base href>``/canonical/og:url to resolve it is its text only. A
  malformed absolute URL (``https://[host/…``) is written as it stands: the family parser warns about it.
- Images (and their alt text), scripts, styles, forms and page chrome (see ``_CHROME_TOKENS``) are dropped.
- Entities are HTML's own only: a DOCTYPE's entity declarations are never expanded and nothing is fetched.
  ``&lt;script&gt;`` comes out as the literal text ``<script>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import unquote, urljoin, urlsplit

import lxml.html
from lxml import etree

from .parsed import DigestParseError
from .text import clean_text, url_problem

# Bigger than any digest page; past it parsing and walking the tree would hold a worker for long.
MAX_HTML_CHARS = 20_000_000

# What may precede <html>: comments (browsers add "<!-- saved from url=... -->"), an XML declaration
# (lxml refuses a str that declares an encoding) and a DOCTYPE with its internal subset (whose entity
# declarations libxml2's HTML parser never expands, but whose "]>" would leak as text). Possessive
# quantifiers keep the scan linear on hostile input.
_PROLOG = re.compile(
    r"\A(?:\s*+<!--.*?-->)*+\s*+(?:<\?xml[^>]*+>)?+(?:\s*+<!--.*?-->)*+\s*+"
    r"(?:<!DOCTYPE[^\[>]*+(?:\[[^\]]*+\])?+[^>]*+>)?+",
    re.IGNORECASE | re.DOTALL,
)

# Never content, wherever they are.
_DROPPED_TAGS = (
    "script", "style", "noscript", "template", "iframe", "svg", "form", "button", "nav", "aside", "dialog",
    "select", "textarea", "object", "embed",
)  # fmt: skip
# The site's header and footer; a <header>/<footer> inside an <article> is the post's own (title, date,
# categories) and stays.
_PAGE_LEVEL_TAGS = ("header", "footer")

# Page chrome marked by a class or id token (whole tokens: "has-sidebar" on <body> must not match).
_CHROME_TOKENS = frozenset(
    {
        # generic navigation, side boxes, comments, share buttons, cookie banners
        "nav", "navbar", "navigation", "menu", "breadcrumb", "breadcrumbs", "sidebar", "widget",
        "comments", "share", "share-buttons", "social-share", "cookie-banner", "cookie-notice",
        "cookie-consent",
        # Discourse: site header, topic summary, post buttons, suggested topics, image boxes (their only
        # text is the file name and size)
        "d-header", "topic-map", "post-menu-area", "topic-footer-buttons", "suggested-topics",
        "more-topics__container", "lightbox-wrapper",
        # WordPress: sidebar, share buttons, comments, site header/footer
        "secondary", "widget-area", "sharedaddy", "comment-respond", "site-header", "site-footer",
        # CSDN: toolbar, recommendations, comment box
        "csdn-toolbar", "recommend-box", "comment-box",
    }
)  # fmt: skip
_CHROME_ROLES = frozenset(
    {"navigation", "banner", "contentinfo", "complementary", "menu", "menubar", "search"}
)

_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "dialog",
        "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
        "header", "hgroup", "hr", "html", "legend", "li", "main", "ol", "p", "pre", "section", "summary",
        "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
_LIST_TAGS = frozenset({"ul", "ol", "menu", "dir"})
_CELL_TAGS = frozenset({"td", "th"})

# HTML collapses ASCII whitespace; &nbsp; is folded too so that "著者&nbsp;Name" reads like the text
# version. The ideographic space U+3000 is content and stays.
_COLLAPSIBLE = re.compile(r"[ \t\n\r\f\xa0]+")
_ABSOLUTE_HTTP = re.compile(r"https?://[^/?#\s]", re.IGNORECASE)
_ELLIPSES = "…."


def html_to_text(html: str) -> str:
    """Text of a saved digest page in the conventions above; DigestParseError for pages that cannot be
    read safely (too large, too deep, a text node past libxml2's limit) or have no text."""
    if len(html) > MAX_HTML_CHARS:
        raise DigestParseError(
            f"page is too large ({len(html):,} characters; at most {MAX_HTML_CHARS:,} are accepted)"
        )
    body = _parse(_PROLOG.sub("", html, count=1))
    document = body.getroottree().getroot()
    _drop_chrome(body)
    roots = _content_roots(body)
    renderer = _Renderer(_base_url(document))
    if title := _title_outside(roots, body):
        renderer.add_block(title)
    try:
        for root in roots:
            renderer.render_block(root)
    except RecursionError:
        raise DigestParseError("page is nested too deeply to read") from None
    text = clean_text(renderer.result())
    if not text:
        raise DigestParseError("page has no text once navigation, sidebars and scripts are removed")
    return text


# --- parsing -------------------------------------------------------------------------------------------


def _parse(markup: str) -> lxml.html.HtmlElement:
    """The page's <body>."""
    # A fresh parser per page: its error_log then holds this page's errors only, and parsers must not be
    # shared between threads.
    parser = lxml.html.HTMLParser(
        no_network=True,  # never fetch a DTD, entity or anything else
        huge_tree=False,  # keep libxml2's limits on nesting depth and text-node size
        remove_comments=True,
        remove_pis=True,
        default_doctype=False,
        collect_ids=False,
    )
    try:
        document = lxml.html.document_fromstring(markup, parser=parser)
    except etree.ParserError:  # "Document is empty"
        document = None
    # Past its limits libxml2 stops with a fatal error and returns what it had, often nothing: never
    # import such a truncated page silently.
    fatal = [error for error in parser.error_log if error.level == etree.ErrorLevels.FATAL]
    if fatal:
        raise DigestParseError(
            f"page could not be read completely (line {fatal[0].line}: {fatal[0].message.strip()}); "
            "it is too deeply nested or holds an oversized block of text"
        )
    body = document.find("body") if document is not None else None
    if body is None:
        raise DigestParseError("page has no content")
    return body


def _drop_chrome(body: lxml.html.HtmlElement) -> None:
    _replace_oneboxes(body)
    etree.strip_elements(body, *_DROPPED_TAGS, with_tail=False)
    for element in list(body.iter(etree.Element)):
        if element is not body and _is_chrome(element):
            element.drop_tree()  # keeps the element's tail text


def _is_chrome(element: lxml.html.HtmlElement) -> bool:
    if element.tag in _PAGE_LEVEL_TAGS and next(element.iterancestors("article"), None) is None:
        return True
    # Not aria-hidden: a page saved while a dialog was open carries it on the wrapper of all content.
    if element.get("hidden") is not None:
        return True
    tokens = set(element.get("class", "").split())
    tokens.add(element.get("id", ""))
    return bool(tokens & _CHROME_TOKENS) or element.get("role", "").strip() in _CHROME_ROLES


def _replace_oneboxes(body: lxml.html.HtmlElement) -> None:
    """Discourse shows a link on its own line as an <aside class="onebox"> preview (site name, title,
    an excerpt of the page). What the post wrote is the URL, so keep just that."""
    for onebox in body.xpath(".//aside[contains(concat(' ', @class, ' '), ' onebox ')]"):
        url = onebox.get("data-onebox-src") or next(
            (anchor.get("href") for anchor in onebox.iter("a") if anchor.get("href")), ""
        )
        paragraph = lxml.html.Element("p")
        paragraph.append(lxml.html.Element("a", href=url))
        paragraph[0].text = url
        paragraph.tail = onebox.tail
        onebox.getparent().replace(onebox, paragraph)


def _content_roots(body: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    """Where the digest is: the first candidate below that holds any text, else the whole body."""
    for roots in _root_candidates(body):
        if any(root.text_content().strip() for root in roots):
            return roots
    return [body]


def _root_candidates(body: lxml.html.HtmlElement) -> Iterator[list[lxml.html.HtmlElement]]:
    # Discourse: the first post is the digest, the others are replies.
    yield body.find_class("cooked")[:1]
    yield body.xpath("(.//main | .//*[@role='main'])[1]")
    # A blog's archive page has one top-level <article> per paper.
    yield [article for article in body.iter("article") if not _inside(article, "article")]
    yield [entry for entry in body.find_class("entry-content") if not _inside(entry, "article")]


def _inside(element: lxml.html.HtmlElement, tag: str) -> bool:
    return next(element.iterancestors(tag), None) is not None


def _title_outside(roots: list[lxml.html.HtmlElement], body: lxml.html.HtmlElement) -> str:
    """The page's <h1> when the content roots leave it out (Discourse's topic title, a CSDN post title):
    plain text, without its link, as the first line."""
    if any(next(root.iter("h1"), None) is not None for root in roots):
        return ""
    for heading in body.iter("h1"):
        if not any(root in heading.iterancestors() for root in roots):
            return _collapse(heading.text_content())
    return ""


# --- links -----------------------------------------------------------------------------------------------


def _base_url(document: lxml.html.HtmlElement) -> str | None:
    """What relative links resolve against: <base href> (itself relative to the page's address), else the
    page's own address from <link rel=canonical> or <meta property=og:url>; None when unknown."""
    page_url = next(
        (
            url.strip()
            for url in (
                *(link.get("href") for link in document.iter("link") if _has_rel(link, "canonical")),
                *(meta.get("content") for meta in document.iter("meta") if _is_og_url(meta)),
            )
            if url and url_problem(url.strip()) is None
        ),
        None,
    )
    base_href = next((base.get("href").strip() for base in document.iter("base") if base.get("href")), None)
    if base_href:
        try:
            resolved = urljoin(page_url or "", base_href)
        except ValueError:  # a malformed <base href> ("https://[host/") resolves nothing
            return page_url
        if url_problem(resolved) is None:
            return resolved
    return page_url


def _has_rel(link: lxml.html.HtmlElement, value: str) -> bool:
    return value in link.get("rel", "").lower().split()


def _is_og_url(meta: lxml.html.HtmlElement) -> bool:
    return (meta.get("property") or meta.get("name") or "").strip().lower() == "og:url"


def _is_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def _link_target(href: str | None, base_url: str | None) -> str | None:
    href = (href or "").strip()
    if not href or href.startswith("#"):
        return None  # in-page anchors (heading permalinks, footnotes) carry no address worth keeping
    try:
        url = urljoin(base_url, href) if base_url else href
        is_http = _is_http(url)
    except ValueError:
        # A malformed address ("https://[github.com/…") stays as written when it is absolute: the family
        # parser reports it with its line number (text.usable_urls) instead of keeping it as a link.
        url, is_http = href, bool(_ABSOLUTE_HTTP.match(href))
    # A space would end the URL inside "<...>" for the parsers.
    return _COLLAPSIBLE.sub("%20", url) if is_http else None


def _shows_url(text: str, url: str) -> bool:
    """Whether a link's text is its URL as shown to readers: whole, without the scheme, percent-decoded,
    or cut short with "…" (Discourse shortens long link texts)."""
    shown = text.rstrip(_ELLIPSES).rstrip("/")
    if not shown or " " in shown or ("." not in shown and "/" not in shown):
        return False
    shown = _without_scheme(shown)
    return any(_without_scheme(candidate).startswith(shown) for candidate in (url, unquote(url)))


def _without_scheme(url: str) -> str:
    return url.split("://", 1)[-1]


# --- rendering -------------------------------------------------------------------------------------------


def _collapse(text: str) -> str:
    return _COLLAPSIBLE.sub(" ", text).strip()


class _Renderer:
    """Collects a subtree's text as blocks. Inline text accumulates until a block boundary; lists, quotes
    and table rows are rendered by a nested renderer and added as one finished block."""

    def __init__(self, base_url: str | None) -> None:
        self.base_url = base_url
        self.blocks: list[str] = []
        self._inline: list[str] = []

    def result(self) -> str:
        self.end_block()
        return "\n\n".join(self.blocks)

    def lines(self) -> list[str]:
        """All non-blank lines, for the containers that lay out their content tightly."""
        self.end_block()
        return [line for block in self.blocks for line in block.split("\n") if line]

    def take_lines(self) -> list[str]:
        """lines(), leaving the renderer empty for what follows."""
        lines = self.lines()
        self.blocks = []
        return lines

    # building blocks

    def add_text(self, text: str | None) -> None:
        if text:
            self._inline.append(_COLLAPSIBLE.sub(" ", text))

    def add_line_break(self) -> None:
        self._inline.append("\n")

    def add_block(self, text: str) -> None:
        self.end_block()
        if text:
            self.blocks.append(text)

    def end_block(self) -> None:
        if not self._inline:
            return
        lines = [_collapse(line) for line in "".join(self._inline).split("\n")]
        self._inline = []
        # <br><br> is a paragraph break: keep one blank line, never a run of them.
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
        if text:
            self.blocks.append(text)

    # walking the tree

    def render_block(self, element: lxml.html.HtmlElement) -> None:
        self.end_block()
        self.render_children(element)
        self.end_block()

    def render_children(self, element: lxml.html.HtmlElement) -> None:
        self.add_text(element.text)
        for child in element:
            if isinstance(child.tag, str):  # comments and processing instructions have no text
                self.render(child)
            self.add_text(child.tail)

    def render(self, element: lxml.html.HtmlElement) -> None:
        tag = element.tag
        if tag == "br":
            self.add_line_break()
        elif tag == "a":
            self.add_text(self._link(element))
        elif tag == "pre":
            self.add_block(_preformatted(element))
        elif tag in _LIST_TAGS:
            self.add_block(self._list(element))
        elif tag == "li":  # an item outside any list
            self.add_block("\n".join(self._item(element, "- ")))
        elif tag == "blockquote":
            self.add_block("\n".join(f"> {line}" for line in self._nested(element).lines()))
        elif tag == "tr":
            self.add_block(self._row(element))
        elif tag in _BLOCK_TAGS:
            self.render_block(element)
        else:  # inline markup (span, strong, code, ...); img, input and the like have no text
            self.render_children(element)

    def _nested(self, element: lxml.html.HtmlElement) -> _Renderer:
        nested = _Renderer(self.base_url)
        nested.render_children(element)
        return nested

    def _link(self, anchor: lxml.html.HtmlElement) -> str:
        text = _collapse(anchor.text_content())
        url = _link_target(anchor.get("href"), self.base_url)
        if not url or not text:
            return text
        return url if _shows_url(text, url) else f"{text} <{url}>"

    def _list(self, element: lxml.html.HtmlElement) -> str:
        ordered = element.tag == "ol"
        number = _int_attribute(element, "start", 1)
        lines: list[str] = []
        # Editors leave text and even whole lists directly in a list, outside any <li>: keep them in order.
        outside_items = _Renderer(self.base_url)
        outside_items.add_text(element.text)
        for child in element:
            if child.tag == "li":
                lines.extend(outside_items.take_lines())
                number = _int_attribute(child, "value", number)
                lines.extend(self._item(child, f"{number}. " if ordered else "- "))
                number += 1
            elif isinstance(child.tag, str):
                outside_items.render(child)
            outside_items.add_text(child.tail)
        lines.extend(outside_items.take_lines())
        return "\n".join(lines)

    def _item(self, item: lxml.html.HtmlElement, marker: str) -> list[str]:
        lines = self._nested(item).lines()
        return [marker + lines[0], *lines[1:]] if lines else []

    def _row(self, row: lxml.html.HtmlElement) -> str:
        cells = (" ".join(self._nested(cell).lines()) for cell in row if cell.tag in _CELL_TAGS)
        return " ".join(cell for cell in cells if cell)


def _preformatted(element: lxml.html.HtmlElement) -> str:
    lines = [line.rstrip() for line in element.text_content().split("\n")]
    return "\n".join(lines).strip("\n")


def _int_attribute(element: lxml.html.HtmlElement, name: str, default: int) -> int:
    try:
        return int(element.get(name, default))
    except ValueError:
        return default
