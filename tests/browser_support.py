"""What the browser tests share: Debian's Chromium driven by Playwright (never `playwright
install`, never a download), the application served over HTTP on a free local port with CSRF
on, and the folder the screenshots go to (ignored by git).

A browser test module calls `require_chromium()` at import: the module is skipped without
/usr/bin/chromium, unless REQUIRE_BROWSER=1 (as .ci/run sets), which makes it an error."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync",
        "--autoplay-policy=no-user-gesture-required"]
SHOTS = Path(__file__).resolve().parent / "screenshots"


def require_chromium():
    """Playwright's sync API, or the calling module skipped (an error under
    REQUIRE_BROWSER=1)."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("REQUIRE_BROWSER") == "1":
            raise RuntimeError(f"REQUIRE_BROWSER=1 but {CHROMIUM} is missing: apt-get install "
                               "chromium")
        pytest.skip(f"{CHROMIUM} not installed (set REQUIRE_BROWSER=1 to make this a failure)",
                    allow_module_level=True)
    return pytest.importorskip("playwright.sync_api")


@pytest.fixture
def server(app):
    """The application served over HTTP on a free local port, CSRF on, as in production."""
    app.config["WTF_CSRF_ENABLED"] = True
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(5)


@pytest.fixture
def browser():
    """Headless Chromium from Debian, driven by Playwright."""
    sync_api = require_chromium()
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()
