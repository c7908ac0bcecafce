"""The coordinator's screens: analysts, emergency phones, users, the audit trail, opening hours
and closures with the preview, companies and contacts. Each change goes through the service
its command uses and leaves an audit row with who made it."""

from __future__ import annotations

import re

import pytest

from ivr.domain.clock import utcnow
from ivr.domain.statuses import AnalystStatus, UserRole
from ivr.services import directory
from ivr.services import skills as skill_service
from ivr.store import audit
from ivr.store.tx import transaction
from tests.console_support import Console, engine, make_user

COORDINATOR = "coord@example.com"


@pytest.fixture
def coordinator(app):
    """A logged-in coordinator (and an analyst user beside, Ana)."""
    make_user(app)
    user = make_user(app, email=COORDINATOR, role=UserRole.COORDINATOR, name="Coordinadora")
    console = Console(app)
    console.login(email=COORDINATOR)
    console.user = user
    return console


def trail(app, table, row_id):
    """A row's audit entries (field, old, new, user_id)."""
    with transaction(engine(app)) as tx:
        return [(e.field, e.old_value, e.new_value, e.user_id)
                for e in audit.entries_of_row(tx, table, row_id)]


def test_pages_render_for_the_coordinator(app, coordinator):
    """Every page of the section opens, in Spanish, with the section's navigation."""
    for path in ("/console/manage/analysts", "/console/manage/emergency",
                 "/console/manage/users", "/console/manage/audit", "/console/manage/hours",
                 "/console/manage/companies"):
        response = coordinator.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert 'aria-label="Coordinación"' in page and "<script" not in page
    assert coordinator.get("/console/manage/").status_code == 302
