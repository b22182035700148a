"""End-to-end reader journeys in a real browser: Debian's chromium driven by Playwright against
pytest-django's ``live_server``.

No browser is ever downloaded (``playwright install`` is not used): the tests run Debian's
``/usr/bin/chromium`` and skip, with one message, where it is not installed.
"""

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO, SAMPLES, import_paths

# Playwright's sync API runs an asyncio loop in the test thread; Django would then refuse ORM calls
# there (fixtures importing data, the flush after each test) as "async unsafe".
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

DEBIAN_CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_MISSING = "browser tests skipped: Debian's chromium is not installed (apt-get install chromium)"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
TIMEOUT_MS = 10_000
SCREENSHOTS = REPO / "var" / "screenshots"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def chromium_path() -> str | None:
    if DEBIAN_CHROMIUM.is_file():
        return str(DEBIAN_CHROMIUM)
    return shutil.which("chromium")


def require_chromium() -> None:
    """Called at the top of every browser test module: without chromium the module is skipped, and as
    every module skips from this line, ``pytest -ra`` (``make test``) folds them into one message."""
    if chromium_path() is None:
        pytest.skip(CHROMIUM_MISSING, allow_module_level=True)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's options (``--headed``, ``--slowmo``) on top of Debian's chromium, headless."""
    return {
        "headless": True,
        **browser_type_launch_args,
        "executable_path": chromium_path(),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def base_url(live_server):
    """``page.goto("/papers/")`` goes to the live server."""
    return live_server.url


@pytest.fixture
def demo_site(live_server, transactional_db):
    """The sample digests, committed, so the live server's thread sees them; flushed after the test."""
    import_paths(sorted(SAMPLES.glob("*.txt")))
    return live_server.url


def _settle(page) -> None:
    """Leave no request in flight before the database is flushed (live_server + flush can race)."""
    if not page.is_closed():
        page.wait_for_load_state("load")


@pytest.fixture
def reader(demo_site, page):
    """A desktop-sized tab on the demo site with short timeouts."""
    page.set_default_timeout(TIMEOUT_MS)
    page.set_default_navigation_timeout(TIMEOUT_MS)
    page.set_viewport_size(VIEWPORTS["desktop"])
    yield page
    _settle(page)


@pytest.fixture
def tab_at(demo_site, new_context):
    """``tab_at("phone")``: a fresh tab at the desktop (1280×900) or phone (390×844) viewport."""
    pages = []

    def open_tab(size: str):
        context = new_context(viewport=VIEWPORTS[size], device_scale_factor=1)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.set_default_navigation_timeout(TIMEOUT_MS)
        pages.append(page)
        return page

    yield open_tab
    for page in pages:
        _settle(page)


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
