"""Under the production Content Security Policy (default-src 'self'; script-src 'self' + nonce; style-src
'self'; …), the public pages and the admin pages we override log no CSP violation in chromium."""

import re

import pytest
from django.urls import reverse

from papers.models import Digest, Paper
from tests.browser.conftest import TIMEOUT_MS, VIEWPORTS, _settle, require_chromium

require_chromium()
sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="browser tests skipped: playwright is not installed (pip install -r requirements-dev.txt)",
)
expect = sync_api.expect

PASSWORD = "a-long-admin-password"
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


@pytest.fixture
def watched(demo_site, page):
    """A tab that records console messages about the Content Security Policy and violation events."""
    page.set_default_timeout(TIMEOUT_MS)
    page.set_default_navigation_timeout(TIMEOUT_MS)
    page.set_viewport_size(VIEWPORTS["desktop"])
    page.add_init_script(RECORD_VIOLATIONS)
    messages = []
    page.on(
        "console",
        lambda message: (
            messages.append(message.text)
            if re.search(r"Content Security Policy|Refused to", message.text)
            else None
        ),
    )

    def visit(url: str) -> None:
        response = page.goto(url)
        assert response.status == 200, url
        assert "Content-Security-Policy" in {name.title() for name in response.headers}
        page.wait_for_load_state("load")
        events = page.evaluate("window.__cspViolations")
        assert not events, (url, events)
        assert not messages, (url, messages)

    yield page, visit
    _settle(page)


def test_public_pages_have_no_csp_violations(watched):
    _page, visit = watched
    paper = Paper.objects.order_by("pk").first()
    digest = Digest.objects.order_by("pk").first()
    for url in (
        "/",
        "/papers/?q=Mamba",
        "/papers/?lang=ja",
        paper.get_absolute_url(),
        f"/digests/{digest.pk}/",
    ):
        visit(url)


def test_admin_pages_we_override_have_no_csp_violations(watched, django_user_model):
    page, visit = watched
    django_user_model.objects.create_superuser("csp-admin", "csp@example.org", PASSWORD)
    page.goto(reverse("admin:index"))
    page.get_by_label("Username").fill("csp-admin")
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    paper = Paper.objects.order_by("pk").first()
    digest = Digest.objects.order_by("pk").first()
    for url in (
        reverse("admin:index"),
        reverse("admin:papers_digest_upload"),
        reverse("admin:papers_digest_changelist"),
        reverse("admin:papers_digest_change", args=[digest.pk]),
        reverse("admin:papers_paper_changelist"),
        reverse("admin:papers_paper_change", args=[paper.pk]),
        reverse("admin:papers_paper_history", args=[paper.pk]),
        reverse("admin:papers_importjob_changelist"),
    ):
        visit(url)
