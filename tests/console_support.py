"""Helpers for the console's tests: users made through the services, a browser-like client
that logs in through the real form, and a case opened the way the line opens one."""

from __future__ import annotations

import re
from datetime import datetime

from ivr.domain.clock import utcnow
from ivr.domain.statuses import AnalystStatus, CaseStatus, UserRole
from ivr.services import directory
from ivr.services import users as user_service
from ivr.services.callbacks import schedule_callback
from ivr.services.cases import open_case
from ivr.store.tx import Rec, transaction

PASSWORD = "correct horse battery"  # noqa: S105 - a test password
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def engine(app):
    """The application's engine."""
    return app.extensions["ivr"].engine


def make_user(app, email="ana@example.com", role=UserRole.ANALYST, phone="+15005550101",
              name="Ana Analista", password=PASSWORD) -> Rec:
    """A console user (an analyst user gets an analyst row of their own)."""
    with transaction(engine(app)) as tx:
        ref = None
        if role == UserRole.ANALYST:
            analyst = directory.add_analyst(tx, name, phone, None, utcnow())
            ref = str(analyst.id)
        return user_service.add_user(tx, app.extensions["passwords"], name=name, email=email,
                                     role=role, password=password, analyst_ref=ref,
                                     now=utcnow())


def open_test_case(app, caller="+584125550123", company="Empresa Demo", severity=2,
                   seq=1, sid="CAconsole", now: datetime | None = None) -> Rec:
    """A received case waiting for its callback, as a report leaves it."""
    now = now or utcnow()
    state = app.extensions["ivr"]
    with transaction(engine(app)) as tx:
        case = open_case(tx, f"{sid}{seq:04d}", 1, caller, None, False, now)
        return schedule_callback(tx, state.schedules.get(tx), case, now, status=CaseStatus.RECEIVED,
                                 company_name=company, severity=severity)


def set_status(app, analyst_id: int, status: AnalystStatus) -> None:
    """Set an analyst's status through the directory service."""
    with transaction(engine(app)) as tx:
        directory.set_analyst_status(tx, directory.get_analyst(tx, analyst_id), status, utcnow())


class Console:
    """A test client that uses the console as a browser does (through its forms)."""

    def __init__(self, app, base_url="http://localhost"):
        """A fresh client (no cookies)."""
        self.app = app
        self.client = app.test_client()
        self.base_url = base_url

    def get(self, path, **kw):
        """GET a path."""
        return self.client.get(path, base_url=self.base_url, **kw)

    def post(self, path, data=None, **kw):
        """POST a form, with the CSRF token of the last page when CSRF is on."""
        data = dict(data or {})
        if self.app.config.get("WTF_CSRF_ENABLED") and "csrf_token" not in data:
            data["csrf_token"] = self.token()
        return self.client.post(path, data=data, base_url=self.base_url, **kw)

    def token(self) -> str:
        """A CSRF token from the login page (or any page with a form)."""
        page = self.client.get("/console/login", base_url=self.base_url).get_data(as_text=True)
        return CSRF_INPUT.search(page).group(1)

    def login(self, email="ana@example.com", password=PASSWORD):
        """Log in through the form."""
        return self.post("/console/login", {"email": email, "password": password})

    def session_cookie(self):
        """The console's session cookie, if the client holds one."""
        return self.client.get_cookie("ivr_console", path="/console/")
