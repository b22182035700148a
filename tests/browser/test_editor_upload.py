"""An editor's upload in Debian's chromium (see conftest.py for the setup): log in through the admin login
form, upload two digests, read the dry-run preview, confirm, follow the status page while the background
worker imports them, then open an imported paper on the public site.

The import is made to run in the background (threshold 0) and the worker (``manage.py db_worker --batch``)
runs in a thread of this process, started once the status page has shown the job queued: so the queued
page, its refresh and the done page are all seen for real, and nothing waits on a clock.
"""

import re
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connections
from django.urls import reverse
from django_tasks_db.management.commands.db_worker import Worker

from papers.ingest import arxiv_jp, zh_digest
from papers.models import Digest, ImportJob, Paper, Summary
from tests.browser.conftest import TIMEOUT_MS, VIEWPORTS, _settle, require_chromium
from tests.conftest import SAMPLES

require_chromium()
sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="browser tests skipped: playwright is not installed (pip install -r requirements-dev.txt)",
)
expect = sync_api.expect

PASSWORD = "a-long-editor-password"
ZH = SAMPLES / "zh_digest_sample.txt"  # Mamba, Attention Is All You Need (with arXiv ids)
ARXIV_JP = SAMPLES / "arxiv_jp_sample.txt"  # KAN, Mamba, Attention Is All You Need (titles only)
MAMBA_ID = "2312.00752"
MAMBA = "Mamba: Linear-Time Sequence Modeling with Selective State Spaces"
WORKER_TIMEOUT_S = 20
# What migration 0004 grants the "Editors" group; given to the user directly where the group is gone
# (the flush after an earlier transactional test deletes rows that migrations created).


@pytest.fixture
def editor(transactional_db, django_user_model, editors_group):
    """Staff in the "Editors" group, not a superuser."""
    user = django_user_model.objects.create_user("editor", password=PASSWORD, is_staff=True)
    user.groups.add(editors_group)
    assert user.has_perm("papers.upload_digest")
    assert not user.is_superuser
    return user


@pytest.fixture
def editor_tab(editor, page):
    page.set_default_timeout(TIMEOUT_MS)
    page.set_default_navigation_timeout(TIMEOUT_MS)
    page.set_viewport_size(VIEWPORTS["desktop"])
    yield page
    _settle(page)


@pytest.fixture
def background_worker(transactional_db, monkeypatch):
    """``start()`` runs ``db_worker --batch`` in a thread: it imports the queued jobs, then exits. Joined
    (and its database connection closed) before the database is flushed."""
    # Signal handlers can only be installed from the main thread; the thread is stopped by --batch.
    monkeypatch.setattr(Worker, "configure_signals", lambda self: None)
    threads, errors, output = [], [], StringIO()

    def work():
        try:
            call_command(
                "db_worker", batch=True, startup_delay=False, reload=False, interval=0, stdout=output
            )
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)
        finally:
            connections.close_all()  # this thread's connections only

    def start() -> threading.Thread:
        thread = threading.Thread(target=work, name="db_worker", daemon=True)
        threads.append(thread)
        thread.start()
        return thread

    start.errors = errors
    start.output = output
    yield start
    for thread in threads:
        thread.join(WORKER_TIMEOUT_S)
        assert not thread.is_alive(), f"db_worker did not exit:\n{output.getvalue()}"


def log_in(page, user) -> None:
    page.goto(reverse("admin:index"))
    expect(page).to_have_url(re.compile(r"/admin/login/\?next="))
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.locator("#user-tools strong")).to_have_text(user.get_short_name() or user.username)


def catalogue_counts() -> tuple[int, int, int]:
    return Paper.objects.count(), Summary.objects.count(), Digest.objects.count()


def test_editor_uploads_previews_confirms_and_follows_the_import(
    editor_tab, editor, background_worker, settings, screenshots_dir
):
    page = editor_tab
    settings.DIGEST_BACKGROUND_THRESHOLD_BYTES = 0  # the live server runs in this process: it applies

    log_in(page, editor)
    with page.expect_navigation():
        page.locator("#content-main").get_by_role("link", name="Digests", exact=True).click()
    expect(page.locator("h1")).to_have_text("Select digest to change")
    with page.expect_navigation():
        page.get_by_role("link", name="Upload digests").click()

    # -- the form ----------------------------------------------------------------------------------------
    expect(page.locator("h1")).to_have_text("Upload digests")
    page.get_by_label("Digest files").set_input_files([ZH, ARXIV_JP])
    assert page.get_by_label("Digest files").evaluate("input => [...input.files].map(f => f.name)") == [
        ZH.name,
        ARXIV_JP.name,
    ]
    page.screenshot(path=screenshots_dir / "upload-form-desktop.png", full_page=True)
    with page.expect_navigation():
        page.get_by_role("button", name="Preview").click()

    # -- the preview: what each file would do, and nothing written --------------------------------------
    expect(page.locator("h1")).to_have_text("Preview of the upload")
    expect(page.locator("#content-main")).to_contain_text("Nothing has been written yet.")
    files = page.locator(".preview-file")
    expect(files).to_have_count(2)
    for preview, path, family, papers in (
        (files.nth(0), ZH, zh_digest, 2),
        (files.nth(1), ARXIV_JP, arxiv_jp, 3),
    ):
        expect(preview.locator("h2")).to_have_text(path.name)
        row = preview.locator("tr").filter(has=page.get_by_role("rowheader", name="Family"))
        expect(row.locator("td")).to_have_text(f"{family.LABEL} {family.FAMILY}")
        row = preview.locator("tr").filter(has=page.get_by_role("rowheader", name="Papers"))
        expect(row.locator("td")).to_have_text(f"{papers} to create, 0 to update, 0 unchanged")
        expect(preview.locator("table.preview-papers tbody tr")).to_have_count(papers)
        for result in preview.locator("table.preview-papers tbody td:nth-child(3)").all():
            expect(result).to_have_text("to create")
        expect(preview.locator(".errorlist")).to_have_count(0)
    expect(files.nth(0).locator("table.preview-papers")).to_contain_text(MAMBA_ID)
    expect(page.locator(".submit-row").first).to_contain_text("it will be imported in the background")
    # The live server has its own connection: these counts are what it committed.
    assert catalogue_counts() == (0, 0, 0)
    job = ImportJob.objects.get()
    assert job.started_at is None and job.total_files == 2 and job.created_by == editor
    page.screenshot(path=screenshots_dir / "upload-preview-desktop.png", full_page=True)

    with page.expect_navigation():
        page.get_by_role("button", name="Import 2 files").click()

    # -- the status page: queued (no worker yet), refreshing itself ---------------------------------------
    expect(page).to_have_url(re.compile(rf"/admin/papers/importjob/{job.pk}/change/$"))
    # The message is shown once: checked before the page's first refresh (2 s) can replace it.
    expect(page.locator(".messagelist")).to_contain_text("being imported in the background")
    status = page.locator("p.job-status")
    expect(status).to_contain_text("Queued 0/2")
    expect(status).to_contain_text("waiting for the background worker")
    expect(page.locator('meta[http-equiv="refresh"]')).to_have_attribute("content", "2")
    expect(page.locator("table.job-files tbody tr")).to_have_count(2)
    assert catalogue_counts() == (0, 0, 0)
    page.screenshot(path=screenshots_dir / "upload-status-running-desktop.png", full_page=True)

    worker = background_worker()

    # -- done: the page refreshed itself until the worker finished, then stopped refreshing ---------------
    expect(status).to_contain_text("Done 2/2", timeout=WORKER_TIMEOUT_S * 1000)
    worker.join(WORKER_TIMEOUT_S)
    assert not worker.is_alive() and not background_worker.errors, background_worker.output.getvalue()
    expect(page.locator('meta[http-equiv="refresh"]')).to_have_count(0)
    rows = page.locator("table.job-files tbody tr")
    expect(rows).to_have_count(2)
    digest_link = re.compile(r"^digest #\d+$")
    for row, path in zip(rows.all(), (ZH, ARXIV_JP), strict=True):
        expect(row.locator("td").nth(1)).to_have_text(path.name)
        expect(row.locator("td").nth(4)).to_have_text("Done")
        expect(row.locator("td").nth(6).get_by_role("link", name=digest_link)).to_be_visible()
    expect(rows.nth(0).locator("td").nth(5)).to_contain_text("2 created, 0 updated, 0 unchanged")
    # Imported in order: the second file finds Mamba and Attention created by the first (by title).
    expect(rows.nth(1).locator("td").nth(5)).to_contain_text("1 created, 2 updated, 0 unchanged")
    expect(page.get_by_role("button", name="Retry failed files")).to_have_count(0)
    page.screenshot(path=screenshots_dir / "upload-status-done-desktop.png", full_page=True)

    job.refresh_from_db()
    assert (job.status, job.done_files) == (ImportJob.Status.DONE, 2)
    assert Digest.objects.filter(status=Digest.Status.IMPORTED).count() == 2
    assert Paper.objects.count() == 3  # Mamba and Attention are in both files: matched, not duplicated

    # -- the public site shows the imported paper ---------------------------------------------------------
    response = page.goto(f"/papers/{MAMBA_ID}/")
    assert response is not None and response.ok, response and response.status
    expect(page.locator("h1")).to_have_text(MAMBA)
    expect(page).to_have_title(re.compile(re.escape(MAMBA)))
