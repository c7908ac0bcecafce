"""The console's door (OWASP ASVS L2, sessions and authentication): login, sessions kept as
hashed rows, idle timeout, throttling, deny by default, CSRF, cookies and headers."""

from __future__ import annotations

import pytest
from werkzeug.routing import Rule

from ivr.domain.statuses import UserRole
from ivr.services import users as user_service
from ivr.store import users as user_rows
from ivr.store.tx import transaction
from tests.conftest import call_params, twiml
from tests.console_support import PASSWORD, Console, engine, make_user

COORDINATOR = "coord@example.com"
# Endpoints anyone may reach: the login form and the stylesheet.
PUBLIC = {"console.login", "console.static"}


def sample_url(rule: Rule) -> str:
    """A URL of a rule, with made-up values for its arguments."""
    values = {name: "1234567" if name == "number" else "1" if name.endswith("_id") else "x"
              for name in rule.arguments}
    return rule.build(values)[1]


def console_rules(app) -> list[Rule]:
    """Every console route that is not public."""
    return [r for r in app.url_map.iter_rules()
            if r.rule.startswith("/console") and r.endpoint not in PUBLIC]


def test_login_gives_a_fresh_hashed_session_and_a_safe_cookie(app, clock):
    """A new random token at each login, stored only as its SHA-256; the cookie is HttpOnly,
    SameSite=Lax, scoped to /console/ and not Secure over plain HTTP."""
    clock("2027-02-08 09:00")
    make_user(app)
    first, second = Console(app), Console(app)
    response = first.login()
    assert response.status_code == 302 and response.location.endswith("/console/")
    cookie = response.headers["Set-Cookie"]
    assert "ivr_console=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Path=/console/" in cookie and "Secure" not in cookie
    second.login()
    tokens = [first.session_cookie().value, second.session_cookie().value]
    assert tokens[0] != tokens[1] and all(len(t) >= 43 for t in tokens)
    with transaction(engine(app)) as tx:
        for token in tokens:
            assert user_rows.session_with_user(tx, token) is None  # never stored in clear
            assert user_rows.session_with_user(tx, user_service.token_hash(token)) is not None
    assert first.get("/console/").status_code == 200


def test_cookie_is_secure_over_https(app):
    """Served over HTTPS, the session cookie (and Flask's) carry Secure."""
    make_user(app)
    console = Console(app, base_url="https://localhost")
    response = console.login()
    assert "Secure" in response.headers["Set-Cookie"]


def test_unknown_user_and_wrong_password_get_the_same_answer(app):
    """Nothing tells an attacker which e-mails exist."""
    make_user(app)
    wrong = Console(app).login(password="not the password at all")
    unknown = Console(app).login(email="nobody@example.com")
    assert wrong.status_code == unknown.status_code == 401
    # The pages differ only in the e-mail typed, shown back in its field.
    assert wrong.get_data(as_text=True).replace("ana@", "?@") == unknown.get_data(
        as_text=True).replace("nobody@", "?@")
    assert "not the password" not in wrong.get_data(as_text=True)
    assert "Correo o contraseña incorrectos" in wrong.get_data(as_text=True)
    assert "ivr_console" not in wrong.headers.get("Set-Cookie", "")


def test_disabled_user_cannot_log_in_and_loses_sessions(app, runner):
    """Disabling a user ends their sessions and refuses their password."""
    make_user(app)
    console = Console(app)
    console.login()
    assert runner.invoke(args=["users", "disable", "ana@example.com"]).exit_code == 0
    assert console.get("/console/").status_code == 302
    assert Console(app).login().status_code == 401


def test_login_throttled_per_account_with_429_then_free_again(app, clock):
    """Five failures within 15 minutes: the sixth try is 429, even with the right password,
    for a known or an unknown e-mail alike; the window passes and it works again."""
    clock("2027-02-08 09:00")
    make_user(app)
    for _ in range(user_service.FAILURES_PER_ACCOUNT):
        assert Console(app).login(password="wrong password 123").status_code == 401
        assert Console(app).login(email="ghost@example.com").status_code == 401
    assert Console(app).login().status_code == 429
    assert Console(app).login(email="ghost@example.com").status_code == 429
    clock("2027-02-08 09:16")
    assert Console(app).login().status_code == 302


def test_login_throttled_per_client_address(app, clock):
    """Twenty failures from one address, over many e-mails, stop that address only."""
    clock("2027-02-08 09:00")
    make_user(app)
    for n in range(user_service.FAILURES_PER_ADDRESS):
        Console(app).login(email=f"guess{n}@example.com")
    assert Console(app).login().status_code == 429
    other = Console(app)
    response = other.client.post("/console/login", data={"email": "ana@example.com",
                                                          "password": PASSWORD},
                                  environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert response.status_code == 302


def test_logout_deletes_the_session_and_the_old_cookie_opens_nothing(app):
    """After logout, the same cookie replayed is refused."""
    make_user(app)
    console = Console(app)
    console.login()
    token = console.session_cookie().value
    assert console.post("/console/logout").status_code == 302
    with transaction(engine(app)) as tx:
        assert user_rows.session_with_user(tx, user_service.token_hash(token)) is None
    replay = Console(app)
    replay.client.set_cookie("ivr_console", token, path="/console/")
    response = replay.get("/console/")
    assert response.status_code == 302 and response.location.endswith("/console/login")


def test_idle_timeout_after_30_minutes(app, clock):
    """A session used every 29 minutes lives on; 31 idle minutes end it."""
    clock("2027-02-08 09:00")
    make_user(app)
    console = Console(app)
    console.login()
    clock("2027-02-08 09:29")
    assert console.get("/console/").status_code == 200
    clock("2027-02-08 09:58")
    assert console.get("/console/").status_code == 200
    clock("2027-02-08 10:29")
    assert console.get("/console/").status_code == 302


def test_every_console_route_refuses_anonymous_users(app):
    """Deny by default: every route but the login form and the stylesheet needs a login."""
    rules = console_rules(app)
    assert len(rules) >= 10
    client = app.test_client()
    for rule in rules:
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(sample_url(rule), method=method)
            assert response.status_code in (302, 401), (rule.rule, method)
            if response.status_code == 302:
                assert response.location.endswith("/console/login")


def test_coordinator_routes_refuse_analysts(app):
    """The coordinator's routes answer 403 to an analyst, and open for the coordinator."""
    from ivr.console.auth import COORDINATOR_ENDPOINTS

    assert {"console.users", "console.assign_case"} <= COORDINATOR_ENDPOINTS
    make_user(app)
    make_user(app, email=COORDINATOR, role=UserRole.COORDINATOR, name="Coordinadora")
    analyst, coordinator = Console(app), Console(app)
    analyst.login()
    coordinator.login(email=COORDINATOR)
    for rule in console_rules(app):
        if rule.endpoint not in COORDINATOR_ENDPOINTS:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert analyst.client.open(sample_url(rule), method=method).status_code == 403
    assert coordinator.get("/console/users").status_code == 200


def test_security_headers_on_console_pages(app):
    """CSP without inline script, no framing, a strict referrer policy, no caching."""
    response = Console(app).get("/console/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    assert "<script" not in response.get_data(as_text=True)
    assert "style=" not in response.get_data(as_text=True)


def test_no_session_cookie_for_webhooks(app, twilio):
    """A webhook answers without any cookie, with or without CSRF."""
    response = twilio.post("/voice/incoming", call_params(twilio.new_sid()))
    assert response.status_code == 200 and "Set-Cookie" not in response.headers


@pytest.fixture
def csrf_on(app):
    """The application with CSRF switched back on, as in production."""
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def test_signed_webhook_answers_with_csrf_on(csrf_on, twilio):
    """The voice blueprint is exempt from CSRF: its signature authenticates it."""
    root = twiml(twilio.post("/voice/incoming", call_params(twilio.new_sid())))
    assert root.find("Gather") is not None or root.find("Say") is not None


def test_console_form_without_token_is_refused_with_csrf_on(csrf_on):
    """A login (or any console form) without a CSRF token is refused with 400; with the
    page's token it goes through."""
    make_user(csrf_on)
    console = Console(csrf_on)
    refused = console.client.post("/console/login", data={"email": "ana@example.com",
                                                          "password": PASSWORD})
    assert refused.status_code == 400
    assert console.login().status_code == 302
    refused = console.client.post("/console/availability", data={"status": "available"})
    assert refused.status_code == 400
    accepted = console.post("/console/availability", data={"status": "available"})
    assert accepted.status_code == 303
