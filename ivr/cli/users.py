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


@users.command("enable")
@click.argument("user")
def users_enable(user):
    """Let a disabled user (id or e-mail) log in again."""
    with command_transaction() as tx:
        found = user_service.find_user(tx, user)
        changed = user_service.enable_user(tx, found, utcnow())
    click.echo(f"user {found.id} {'enabled' if changed else 'was not disabled'}")


@users.command("reset-password")
@click.argument("user")
def users_reset_password(user):
    """Give a user (id or e-mail) a new password, asked twice, hidden; their sessions end."""
    password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    with command_transaction() as tx:
        found = user_service.find_user(tx, user)
        user_service.reset_password(tx, _hasher(), found, password, utcnow())
    click.echo(f"user {found.id}: password changed, sessions ended")


@users.command("set-role")
@click.argument("user")
@click.argument("role", type=click.Choice([str(r) for r in USER_ROLES]))
@click.option("--analyst", "analyst_ref", help="The analyst (id or phone) an analyst user is.")
def users_set_role(user, role, analyst_ref):
    """Change a user's role; their sessions end."""
    with command_transaction() as tx:
        found = user_service.find_user(tx, user)
        after = user_service.set_role(tx, found, role, analyst_ref, utcnow())
    click.echo(f"user {after.id}: {after.role}")
