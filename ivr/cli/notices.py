"""Operators' commands for notices: `flask --app wsgi notices add|list|end`."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from ivr.cli.common import command_transaction
from ivr.domain.clock import utcnow
from ivr.domain.operator_input import parse_row_id
from ivr.services import notices as service

notices = AppGroup("notices", help="Notices said to every caller before the menu, until "
                   "they end.")


def line(notice, now) -> str:
    """One listing line: id, state, Caracas times, the words."""
    return (f"{notice.id:>4}  {service.state_of(notice, now):<5}  "
            f"{service.local_text(notice.starts_at)} → {service.local_text(notice.ends_at)}  "
            f"{notice.text}")


@notices.command("add")
@click.argument("text")
@click.option("--until", required=True, metavar="'YYYY-MM-DD HH:MM'",
              help="When callers stop hearing it (Caracas time).")
@click.option("--from", "starts", metavar="'YYYY-MM-DD HH:MM'",
              help="When callers start hearing it (Caracas time) [default: now].")
def notices_add(text, until, starts):
    """Add a notice: TEXT is said before the menu from --from (or now) until --until."""
    now = utcnow()
    with command_transaction() as tx:
        notice = service.add(tx, text, until, now, starts=starts)
        shown = line(notice, now)
    click.echo(shown)


@notices.command("list")
def notices_list():
    """The latest notices: on (said now), later, ended (early) or over."""
    now = utcnow()
    with command_transaction() as tx:
        shown = [line(notice, now) for notice in service.list_notices(tx)]
    for text in shown:
        click.echo(text)
    if not shown:
        click.echo("no notices")


@notices.command("end")
@click.argument("notice_id", metavar="ID")
def notices_end(notice_id):
    """End a notice now (ID from `notices list`)."""
    now = utcnow()
    row_id = parse_row_id(notice_id)
    if row_id is None:
        raise service.NoticeError(f"{notice_id!r} is not a notice id: see `notices list`")
    with command_transaction() as tx:
        notice = service.end(tx, row_id, now)
        shown = line(notice, now)
    click.echo(shown)
