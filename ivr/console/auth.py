"""Login, logout and the guard in front of every console page (deny by default).

The guard runs before every request of the blueprint: a page is reached only with a live
session (ivr/services/users.py), except the endpoints marked `public` (the login form and the
static files); a page marked `coordinator_only` also needs the role. The session's token lives
in its own cookie (HttpOnly, SameSite=Lax, Secure over HTTPS, path /console); the database keeps
only its hash.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import (
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from ivr.console.blueprint import bp
from ivr.console.context import db
from ivr.console.forms import LoginForm, LogoutForm
from ivr.domain.clock import utcnow
from ivr.domain.statuses import UserRole
from ivr.services import users as user_service

COOKIE = "ivr_console"
PUBLIC_ENDPOINTS = {"console.login", "console.static"}
COORDINATOR_ENDPOINTS: set[str] = set()
# The coordinator's section: every endpoint named so needs the role, marked or not.
COORDINATOR_PREFIX = "console.manage_"
# No inline script or style anywhere: the pages load /console/static only.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "media-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


def coordinator_only(view: Callable) -> Callable:
    """Mark a view as the coordinator's: analysts get 403."""
    COORDINATOR_ENDPOINTS.add(f"{bp.name}.{view.__name__}")
    return view


def client_address() -> str | None:
    """The client's address (ProxyFix has made it so when PROXY_HOPS is set)."""
    return request.remote_addr


@bp.before_request
def require_login():
    """Deny by default: anonymous users go to the login form, analysts stay out of the
    coordinator's pages."""
    g.console_user = None
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    token = request.cookies.get(COOKIE)
    with db() as tx:
        user = user_service.session_user(tx, token, utcnow())
    if user is None:
        if request.method in ("GET", "HEAD"):
            return redirect(url_for("console.login"))
        return render_template("console/denied.html", reason="login"), 401
    g.console_user = user
    coordinators_only = request.endpoint in COORDINATOR_ENDPOINTS or (
        request.endpoint or "").startswith(COORDINATOR_PREFIX)
    if coordinators_only and user.role != UserRole.COORDINATOR:
        return render_template("console/denied.html", reason="role"), 403
    return None


@bp.after_request
def security_headers(response):
    """Security headers on every console answer; pages are never cached."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "console.static":
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_context_processor
def console_globals():
    """The user and the logout form for the base layout."""
    return {"console_user": g.get("console_user"), "logout_form": LogoutForm()}


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; a new session (and a new CSRF secret) when the password matches."""
    form = LoginForm()
    if request.method == "GET":
        return render_template("console/login.html", form=form)
    if not form.validate_on_submit():
        return render_template("console/login.html", form=form), 400
    hasher = current_app.extensions["passwords"]
    with db() as tx:
        result = user_service.log_in(tx, hasher, form.email.data, form.password.data,
                                     client_address(), utcnow())
    if result.throttled:
        return render_template("console/login.html", form=form, throttled=True), 429
    if result.user is None:
        # The same answer for an unknown e-mail, a wrong password and a disabled user.
        return render_template("console/login.html", form=form, refused=True), 401
    session.clear()  # nothing of the anonymous visit carries over
    response = redirect(url_for("console.queue"))
    response.set_cookie(COOKIE, result.token, httponly=True, samesite="Lax",
                        secure=request.is_secure, path=url_for("console.queue"))
    return response


@bp.post("/logout")
def logout():
    """End the session: its row is deleted and its cookie dropped."""
    with db() as tx:
        user_service.end_session(tx, request.cookies.get(COOKIE))
    session.clear()
    response = redirect(url_for("console.login"))
    response.delete_cookie(COOKIE, path=url_for("console.queue"), httponly=True,
                           samesite="Lax", secure=request.is_secure)
    return response
