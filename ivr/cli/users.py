"""`flask --app wsgi users …`: the console's users (passwords asked, never on the command line)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from ivr.cli.common import command_transaction
from ivr.domain.clock import utcnow
from ivr.domain.statuses import USER_ROLES
from ivr.services import users as user_service

users = AppGroup("users", help="People who log in to the console at /console/.")


def _hasher():
    """The application's password hasher."""
    return current_app.extensions["passwords"]


@users.command("add")
@click.argument("name")
@click.argument("email")
@click.option("--role", type=click.Choice([str(r) for r in USER_ROLES]), required=True)
@click.option("--analyst", "analyst_ref",
              help="The analyst (id or phone) this user works as; required for analysts.")
def users_add(name, email, role, analyst_ref):
    """Add a console user; the password is asked twice, hidden."""
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    # Checked before the transaction, so a refused password costs no database work.
    with command_transaction() as tx:
        user_service.check_new_password(password, email)
        user = user_service.add_user(tx, _hasher(), name=name, email=email, role=role,
                                     password=password, analyst_ref=analyst_ref, now=utcnow())
    click.echo(f"user {user.id} added: {user.name} <{user.email}> {user.role}")


@users.command("list")
def users_list():
    """List console users."""
    with command_transaction() as tx:
        for u in user_service.all_users(tx):
            analyst = f"analyst {u.analyst_id}" if u.analyst_id else "-"
            state = f"disabled {u.disabled_at:%Y-%m-%d}" if u.disabled_at else "active"
            click.echo(f"{u.id:>4}  {u.name:<30} {u.email:<32} {u.role:<12} {analyst:<12} "
                       f"{state}")


@users.command("disable")
@click.argument("user")
def users_disable(user):
    """Disable a user (id or e-mail): no more logins, their sessions end now."""
    with command_transaction() as tx:
        found = user_service.find_user(tx, user)
        changed = user_service.disable_user(tx, found, utcnow())
    click.echo(f"user {found.id} {'disabled' if changed else 'was disabled already'}")
