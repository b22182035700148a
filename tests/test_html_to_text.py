"""html_to_text: reading order, list/quote/link rendering, page chrome, and hostile markup.

Pure tests: no database, no Django (run with ``-p no:django``).
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from papers.ingest.decode import decode_bytes
from papers.ingest.html import MAX_HTML_CHARS, html_to_text
from papers.ingest.parsed import DigestParseError
from tests.conftest import FIXTURES

HTML_FIXTURES = FIXTURES / "html"


def fixture_text(name: str) -> str:
    return decode_bytes((HTML_FIXTURES / name).read_bytes()).text


def page(body: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"


# --- structure ---------------------------------------------------------------------------------------


def test_blocks_in_reading_order_separated_by_blank_lines() -> None:
    html = page(
        """
        <h2>見出し</h2>
        <p>First   paragraph
           wraps in the source.</p>
        <div>A div's own text <span>with a span</span>
          <div>a nested div</div>
          and text after it</div>
        <dl><dt>著者</dt><dd>Alice, Bob</dd></dl>
        <table><tr><th>発行日</th><td>2024-10-10</td></tr>
          <tr><td>cell <p>with a block</p></td><td>x</td></tr></table>
        <pre>  def f():
      return 1
</pre>
        <p>last</p>
        """
    )
    assert html_to_text(html) == (
        "見出し\n\n"
        "First paragraph wraps in the source.\n\n"
        "A div's own text with a span\n\n"
        "a nested div\n\n"
        "and text after it\n\n"
        "著者\n\n"
        "Alice, Bob\n\n"
        "発行日 2024-10-10\n\n"
        "cell with a block x\n\n"
        "  def f():\n      return 1\n\n"
        "last"
    )


def test_lists_are_tight_dash_items_and_ordered_lists_keep_their_numbers() -> None:
    html = page(
        """
        <ul>
          <li>one</li>
          <li><p>two, first paragraph</p><p>two, second paragraph</p>
              <ul><li>nested</li></ul></li>
          <li>three<br>continued</li>
          <li></li>
        </ul>
        <ol start="3"><li>third</li><li>fourth</li><li value="10">tenth</li><li>eleventh</li></ol>
        <li>an item outside any list</li>
        """
    )
    assert html_to_text(html) == (
        "- one\n"
        "- two, first paragraph\n"
        "two, second paragraph\n"
        "- nested\n"
        "- three\n"
        "continued\n\n"
        "3. third\n4. fourth\n10. tenth\n11. eleventh\n\n"
        "- an item outside any list"
    )


def test_text_and_lists_directly_inside_a_list_keep_their_order() -> None:
    html = page(
        "<ul>before items<li>a</li><ul><li>nested without an item</li></ul>between<li>b</li>after</ul>"
    )
    assert html_to_text(html) == "before items\n- a\n- nested without an item\nbetween\n- b\nafter"


def test_blockquote_lines_are_prefixed() -> None:
    html = page(
        """
        <p>日本語の段落です。</p>
        <blockquote><p>English paragraph one.</p><p>Line one<br>line two</p>
          <blockquote><p>quoted twice</p></blockquote></blockquote>
        """
    )
    assert html_to_text(html) == (
        "日本語の段落です。\n\n> English paragraph one.\n> Line one\n> line two\n> > quoted twice"
    )


def test_br_whitespace_nbsp_and_ideographic_space() -> None:
    html = page("<p>著者&nbsp;&nbsp;Alice\tBob<br>\n   次の行<br><br><br>段落の後\u3000全角スペース</p>")
    assert html_to_text(html) == "著者 Alice Bob\n次の行\n\n段落の後\u3000全角スペース"


def test_images_and_their_alt_text_are_dropped() -> None:
    html = page('<p>図 <img src="fig1.png" alt="ALT_TEXT_OF_FIGURE"> のとおり</p>')
    assert html_to_text(html) == "図 のとおり"


def test_output_is_nfc_and_entities_decoded() -> None:
    assert html_to_text(page("<p>か&#x3099; &amp; &copy; &#x41;</p>")) == "が & © A"


def test_comments_and_processing_instructions_are_dropped() -> None:
    assert html_to_text(page("<p>a<!-- COMMENT_LEAK -->b<?php echo 'PI_LEAK'; ?>c</p>")) == "abc"


# --- links -------------------------------------------------------------------------------------------

CANONICAL = '<link rel="canonical" href="https://blog.example.org/2024/10/post/">'


@pytest.mark.parametrize(
    ("anchor", "expected"),
    [
        (
            '<a href="https://arxiv.org/pdf/2410.07869">arxiv_id(pdf)</a>',
            "arxiv_id(pdf) <https://arxiv.org/pdf/2410.07869>",
        ),
        (
            '<a href="https://arxiv.org/abs/2405.21060">https://arxiv.org/abs/2405.21060</a>',
            "https://arxiv.org/abs/2405.21060",
        ),
        (
            '<a href="https://arxiv.org/abs/2405.21060">arxiv.org/abs/2405.21060</a>',
            "https://arxiv.org/abs/2405.21060",
        ),
        ('<a href="https://arxiv.org/abs/2405.21060">arxiv.org</a>', "https://arxiv.org/abs/2405.21060"),
        (
            '<a href="https://x.com/omarsar0/status/1798373841741185261">https://x.com/omarsar0/status/17983…</a>',
            "https://x.com/omarsar0/status/1798373841741185261",
        ),
        (
            '<a href="https://ja.wikipedia.org/wiki/%E8%AB%96%E6%96%87">https://ja.wikipedia.org/wiki/論文</a>',
            "https://ja.wikipedia.org/wiki/%E8%AB%96%E6%96%87",
        ),
        ('<a href="/category/cs-ai/">cs.AI</a>', "cs.AI <https://blog.example.org/category/cs-ai/>"),
        ('<a href="../other/">前の記事</a>', "前の記事 <https://blog.example.org/2024/10/other/>"),
        ('<a href="#comments">コメントする</a>', "コメントする"),
        ('<a href="javascript:void(0)">共有</a>', "共有"),
        ('<a href="mailto:someone@example.org">連絡先</a>', "連絡先"),
        ('<a href="file:///etc/passwd">local</a>', "local"),
        ('<a name="anchor-only">名前だけ</a>', "名前だけ"),
        ('<a href="https://example.org/a b">space</a>', "space <https://example.org/a%20b>"),
    ],
)
def test_links(anchor: str, expected: str) -> None:
    assert html_to_text(page(f"<p>{anchor}</p>", CANONICAL)) == expected


def test_link_without_text_is_dropped() -> None:
    html = page(
        '<h2><a class="anchor" href="#h-1"></a>論文紹介</h2>'
        '<p>x <a href="https://example.org/"><img alt="logo"></a> y</p>'
    )
    assert html_to_text(html) == "論文紹介\n\nx y"


def test_relative_links_without_a_known_base_keep_their_text_only() -> None:
    assert html_to_text(page('<p><a href="/paper/2401.01335">SPIN</a></p>')) == "SPIN"


def test_base_href_wins_and_resolves_against_the_page_address() -> None:
    head = CANONICAL + '<base href="/mirror/">'
    assert html_to_text(page('<p><a href="p/1">x</a></p>', head)) == "x <https://blog.example.org/mirror/p/1>"


def test_og_url_is_the_page_address_without_canonical() -> None:
    head = '<meta property="og:url" content="https://forum.example.org/t/topic/42">'
    assert (
        html_to_text(page('<p><a href="/u/alice">alice</a></p>', head))
        == "alice <https://forum.example.org/u/alice>"
    )


# --- where the content is, and page chrome -----------------------------------------------------------


def test_discourse_keeps_only_the_first_post_and_the_topic_title() -> None:
    html = page(
        """
        <header class="d-header"><a href="/">SITE_HEADER</a></header>
        <div id="topic-title"><h1><a href="/t/x/1">Topic title</a></h1></div>
        <article id="post_1"><div class="cooked"><p>original post</p></div>
          <section class="post-menu-area"><button>like</button>POST_MENU</section>
          <div class="topic-map">TOPIC_MAP</div></article>
        <article id="post_2"><div class="cooked"><p>REPLY_TEXT</p></div></article>
        <div id="topic-footer-buttons">FOOTER_BUTTONS</div>
        <div class="suggested-topics">SUGGESTED</div>
        """
    )
    assert html_to_text(html) == "Topic title\n\noriginal post"


def test_main_is_preferred_to_the_body() -> None:
    html = page("<div>OUTSIDE_MAIN</div><main><p>in main</p></main><div>ALSO_OUTSIDE</div>")
    assert html_to_text(html) == "in main"


def test_every_top_level_article_is_kept_with_its_own_header_and_footer() -> None:
    html = page(
        """
        <header class="site-header"><h1>SITE_TITLE</h1></header>
        <article><header><h1>Post one</h1></header><p>body one</p><footer>カテゴリー: cs.AI</footer>
          <article class="comment">nested article stays inside</article></article>
        <div class="sidebar">SIDEBAR</div>
        <article><h1>Post two</h1><p>body two</p></article>
        <footer>SITE_FOOTER</footer>
        """
    )
    assert html_to_text(html) == (
        "Post one\n\nbody one\n\nカテゴリー: cs.AI\n\nnested article stays inside\n\nPost two\n\nbody two"
    )


def test_an_empty_main_does_not_hide_the_article() -> None:
    html = page('<main id="app"> </main><article><p>the post</p></article><div>OUTSIDE</div>')
    assert html_to_text(html) == "the post"


def test_entry_content_without_article_or_main() -> None:
    html = page('<div class="site"><div>CHROME</div><div class="entry-content"><p>entry</p></div></div>')
    assert html_to_text(html) == "entry"


def test_page_title_is_added_when_the_content_root_lacks_one() -> None:
    html = page("<h1>Digest <a href='https://example.org/'>title</a></h1><article><p>body</p></article>")
    assert html_to_text(html) == "Digest title\n\nbody"


@pytest.mark.parametrize(
    "chrome",
    [
        "<nav>NAV</nav>",
        "<aside>ASIDE</aside>",
        "<form><label>FORM</label><input value='x'></form>",
        "<button>BUTTON</button>",
        "<script>SCRIPT</script>",
        "<style>STYLE</style>",
        "<noscript>NOSCRIPT</noscript>",
        "<template>TEMPLATE</template>",
        "<iframe>IFRAME</iframe>",
        "<svg><title>SVG</title></svg>",
        "<select><option>SELECT</option></select>",
        "<dialog open>DIALOG</dialog>",
        "<div id='secondary'>SECONDARY</div>",
        "<div class='widget-area'>WIDGETS</div>",
        "<div class='sharedaddy'>SHARE</div>",
        "<div id='comments'>COMMENTS</div>",
        "<div class='cookie-banner'>COOKIES</div>",
        "<div role='navigation'>ROLE_NAV</div>",
        "<div role='complementary'>ROLE_ASIDE</div>",
        "<div hidden>HIDDEN</div>",
        "<div class='lightbox-wrapper'><a href='/img.png'><span class='filename'>IMAGE_NAME</span></a></div>",
    ],
)
def test_chrome_is_dropped(chrome: str) -> None:
    assert html_to_text(page(f"<main><p>before</p>{chrome}<p>after</p></main>")) == "before\n\nafter"


def test_content_marked_aria_hidden_is_kept() -> None:
    # Sites set aria-hidden on the page wrapper while a dialog is open; a page saved then must still read.
    html = page(
        '<div id="page" aria-hidden="true"><main><p>digest</p></main></div><div role="dialog">OK</div>'
    )
    assert html_to_text(html) == "digest"


def test_chrome_class_tokens_match_whole_tokens_only() -> None:
    html = page('<div class="has-sidebar menu-open-never"><p class="comments-link">コメントする</p></div>')
    assert html_to_text(html) == "コメントする"


def test_discourse_onebox_becomes_its_url() -> None:
    html = page(
        """<div class="cooked"><h3>さらに読む</h3>
        <aside class="onebox githubrepo" data-onebox-src="https://github.com/org/repo">
          <header class="source"><a href="https://github.com/org/repo">github.com</a></header>
          <article class="onebox-body"><h3>GitHub - org/repo</h3><p>ONEBOX_EXCERPT</p></article>
        </aside><p>次の段落</p></div>"""
    )
    assert html_to_text(html) == "さらに読む\n\nhttps://github.com/org/repo\n\n次の段落"


# The fixtures' page chrome: none of it may survive html_to_text.
FIXTURE_CHROME = {
    "discourse_pytorchkr.html": [
        "ログイン", "新規登録", "最新の投稿", "人気のトピック", "読む価値のある論文", "ninebow",
        "いいね", "閲覧数", "翻訳ありがとうございます", "2401.99999", "通知を受け取る", "返信する",
        "おすすめのトピック", "[2024/05/27 ~ 06/02]", "PyTorch 2.3", "Powered by Discourse",
        "PRELOAD_SCRIPT_LEAK", "INLINE_SCRIPT_LEAK", "LeakSans", "JavaScriptを有効", "ONEBOX_PREVIEW_LEAK",
        "今週のカバー画像", "1028×618",
    ],
    "wordpress_zh_digest.html": [
        "跳至内容", "每周精选大模型论文", "首页", "文章归档", "上一篇", "2 条评论", "读者小李", "期待下一期",
        "CodeJudge开源了吗", "发表回复", "发表评论", "在此输入评论", "搜索", "近期文章", "强化学习论文精选",
        "标签", "京ICP备", "Cookie", "我同意", "分享到", "SCRIPT_LEAK", "line-height",
    ],
    "blog_arxiv_jp.html": [
        "arXivの新着論文を日本語で読む", "メインメニュー", "ホーム", "このサイトについて", "日別アーカイブ",
        "投稿ナビゲーション", "過去の投稿", "最近の投稿", "Mini-batch Coresets", "Hammer:", "cs.CV", "cs.RO",
        "Proudly powered by WordPress", "ARXIVJP_SCRIPT_LEAK",
    ],
    "ronbun_gaiyou.html": [
        "論文の概要サイト", "注目論文ランキング", "論文を検索", "人気の論文", "Mamba:", "Direct Preference",
        "本サイトの運営者は", "© 2024", "RONBUN_SCRIPT_LEAK",
    ],
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(FIXTURE_CHROME))
def test_fixture_chrome_does_not_leak(name: str) -> None:
    text = html_to_text(fixture_text(name))
    leaked = [chrome for chrome in FIXTURE_CHROME[name] if chrome in text]
    assert leaked == []


def test_discourse_fixture_reads_like_the_plain_text_digest() -> None:
    text = html_to_text(fixture_text("discourse_pytorchkr.html"))
    assert text.startswith("[2024/06/03 ~ 06/09] 今週の主要なML論文 (Top ML Papers of the Week)\n\n- DAIR.AI")
    assert (
        "論文リンク\n\nPDF <https://arxiv.org/pdf/2406.04271>\n\n"
        "さらに読む\n\nhttps://github.com/YangLing0818/buffer-of-thought-llm\n\n原文"
    ) in text
    assert (
        "https://github.com/ridgerchu/matmulfreellm\nhttps://x.com/omarsar0/status/1798373841741185261"
    ) in text
    assert (
        "> We relate SSMs and attention through decompositions of structured matrices.\n> From this"
    ) in text


def test_arxiv_jp_fixture_renders_the_metadata_table_as_field_lines() -> None:
    text = html_to_text(fixture_text("blog_arxiv_jp.html"))
    assert (
        "\n\n発行日 2024-10-10 17:17:38+00:00\n\n"
        "arxivサイト arxiv_id(pdf) <https://arxiv.org/pdf/2410.08133>\n\n"
    ) in text
    assert (
        "カテゴリー: cs.AI <https://arxiv.jp/category/cs-ai/>, cs.LG <https://arxiv.jp/category/cs-lg/> | "
        "コメントする <https://arxiv.jp/2024/10/11/steering-masked-discrete-diffusion-models/#respond>"
    ) in text


def test_shift_jis_page_converts_like_its_utf8_original() -> None:
    data = (HTML_FIXTURES / "shift_jis_arxiv_jp.html").read_bytes()
    assert b"charset" not in data.lower()
    assert html_to_text(decode_bytes(data).text) == html_to_text(fixture_text("blog_arxiv_jp.html"))


# --- hostile markup ----------------------------------------------------------------------------------


def test_script_text_in_a_title_comes_out_literally() -> None:
    text = html_to_text(fixture_text("script_in_title.html"))
    assert text.startswith("Robust <script>alert(1)</script> Parsing of <b>Markup</b> & Text\n\n要約\n\n")
    assert "本文の <img src=x onerror=alert(2)> も文字列のまま残ります。" in text
    assert "REAL_SCRIPT_MUST_NOT_LEAK" not in text


def assert_fast(started: float) -> None:
    assert time.perf_counter() - started < 2.0


def test_entity_bomb_is_not_expanded() -> None:
    started = time.perf_counter()
    text = html_to_text(fixture_text("entity_bomb.html"))
    assert_fast(started)
    assert text == "Entity bomb &lol9;\n\n安全な本文です。\n\n" + "&lol9;" * 10
    assert "lollol" not in text


def test_entity_bomb_behind_a_comment_is_still_harmless() -> None:
    # A comment before the DOCTYPE is stripped with it; libxml2's HTML parser expands no declared entity
    # even when the DOCTYPE reaches it (then only "]>" shows as text).
    for prefix in ("<!-- saved from url=(0020)https://example.org -->\n", "<p>text first</p>\n"):
        started = time.perf_counter()
        text = html_to_text(prefix + fixture_text("entity_bomb.html"))
        assert_fast(started)
        assert "lollol" not in text and len(text) < 500


def test_external_entities_are_neither_read_nor_fetched(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET_FILE_CONTENTS", encoding="utf-8")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        port = listener.getsockname()[1]
        html = (
            fixture_text("external_entity.html")
            .replace("127.0.0.1:9", f"127.0.0.1:{port}")
            .replace('file:///etc/passwd"', f'{secret.as_uri()}"', 1)
        )
        assert secret.as_uri() in html
        started = time.perf_counter()
        text = html_to_text(html)
        assert_fast(started)
        with pytest.raises(BlockingIOError):
            # Nobody connected: no DTD, entity or stylesheet was fetched. (libxml2 2.14 has no HTTP client
            # at all; this guards a build that has one.)
            listener.accept()
    assert text == "before &passwd; after\n\nremote: &remote;\n\nlocal file link\n\n本文はここまで。"
    assert "SECRET_FILE_CONTENTS" not in text and "root:" not in text


def test_str_with_an_xml_encoding_declaration_is_accepted() -> None:
    html = '<?xml version="1.0" encoding="Shift_JIS"?>\n<html><body><p>本文</p></body></html>'
    assert html_to_text(html) == "本文"


def test_oversized_page_is_refused_before_parsing() -> None:
    started = time.perf_counter()
    with pytest.raises(DigestParseError, match="page is too large"):
        html_to_text("<p>" + "a" * MAX_HTML_CHARS + "</p>")
    assert_fast(started)


def test_text_node_past_libxml2_limit_is_refused_not_silently_emptied() -> None:
    html = "<html><body><p>" + "論" * 11_000_000 + "</p></body></html>"
    assert len(html) < MAX_HTML_CHARS
    with pytest.raises(DigestParseError, match="could not be read completely"):
        html_to_text(html)


def test_too_deeply_nested_page_is_refused() -> None:
    with pytest.raises(DigestParseError, match="could not be read completely"):
        html_to_text(page("<div>" * 400 + "deep" + "</div>" * 400))


def test_deep_but_accepted_nesting_renders() -> None:
    depth = 120
    html = page("<ul><li>" * depth + "leaf" + "</li></ul>" * depth)
    assert html_to_text(html).endswith("- leaf")


@pytest.mark.parametrize(
    ("html", "message"),
    [
        ("", "page has no content"),
        ("   \n ", "page has no content"),
        (page("<nav>only navigation</nav><script>x()</script>"), "page has no text"),
    ],
)
def test_pages_without_text(html: str, message: str) -> None:
    with pytest.raises(DigestParseError, match=message):
        html_to_text(html)
