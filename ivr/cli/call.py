"""`flask --app wsgi call`: hear the line from a terminal (ivr.sim.walker walks the call)."""

from __future__ import annotations

import logging
import os
import sys
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from ivr.domain.business_hours import CARACAS
from ivr.domain.phones import parse_phone
from ivr.services.health import require_database
from ivr.sim.simulator import (
    GRAMMAR,
    HttpTransport,
    Output,
    PromptAnswers,
    TransportError,
    parse_script,
)
from ivr.sim.walker import (
    DEFAULT_CALLER,
    DEFAULT_TO,
    Reply,
    ScriptAnswers,
    ScriptError,
    TooManySteps,
    Walker,
    request_target,
)

IN_PROCESS_BASE = "http://localhost"


class FlaskTransport:
    """Requests to this process's application through the Flask test client."""

    def __init__(self, app: Flask, base: str = IN_PROCESS_BASE):
        """Bind to an application."""
        self.app = app
        self.base = base
        self.client = app.test_client()

    def send(self, method: str, url: str, params: dict[str, str],
             headers: dict[str, str]) -> Reply:
        """One request, in an application context of its own (as under a real server)."""
        import time

        path = request_target(url)
        started = time.perf_counter()
        # The CLI runs inside an app context; a request would reuse it (and its `g`, where
        # the app keeps the request's clock and session). A fresh context per request keeps
        # each webhook apart, as under gunicorn.
        with self.app.app_context():
            response = self.client.open(path, method=method, base_url=self.base,
                                        data=params if method == "POST" else None,
                                        headers=headers)
            body = response.get_data()
        return Reply(response.status_code, response.mimetype or "", body,
                     (time.perf_counter() - started) * 1000)


def caracas_moment(text: str) -> datetime:
    """'2027-02-08 09:00' read as Caracas wall time, as an aware datetime."""

    try:
        local = datetime.fromisoformat(text.strip())
    except ValueError:
        raise click.UsageError(
            f"--at {text!r} is not a time like \"2027-02-08 09:00\" (Caracas time)") from None
    if local.tzinfo is not None:
        raise click.UsageError("--at takes Caracas wall time without an offset, "
                               "like \"2027-02-08 09:00\"")
    return local.replace(tzinfo=CARACAS)


def fail(message: str) -> None:
    """One `error:` line on stderr, exit status 1."""
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def use_color() -> bool:
    """Colours only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR") \
        and os.environ.get("TERM") != "dumb"


@contextmanager
def quiet_webhook_log():
    """In-process, the app's one-line-per-webhook log would interleave with the transcript."""
    logger = logging.getLogger("ivr.webhook")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def read_line(prompt: str) -> str | None:
    """A typed answer; None at end of input or Ctrl-C (the caller hangs up)."""
    try:
        return click.prompt(prompt, default="", show_default=False, prompt_suffix=" ")
    except click.Abort:
        click.echo()
        return None


@click.command("call", epilog=f"Script grammar: {GRAMMAR}. When the script runs out, the "
               "caller hangs up. Without --script you answer at the keyboard.")
@click.option("--from", "caller", default=DEFAULT_CALLER, show_default=True,
              help="Caller ID (E.164, or 'anonymous').")
@click.option("--to", default=DEFAULT_TO, show_default=True,
              help="The Twilio number called.")
@click.option("--line", help="The published line dialled, sent as ForwardedFrom "
              "(e.g. 02124713239).")
@click.option("--at", "at", metavar="'YYYY-MM-DD HH:MM'",
              help="Time of the call, Caracas time (in-process only: the clock is frozen "
              "there and moves with the call).")
@click.option("--script", help="Answers separated by ';' for a non-interactive call, "
              "e.g. '2;say:Empresa Demo;-;rec:20'.")
@click.option("--url", help="Call a running server (e.g. http://127.0.0.1:5000) instead "
              "of this process.")
@click.option("--token", help="Auth token that signs the requests to --url "
              "[default: $TWILIO_AUTH_TOKEN, or this app's token].")
@click.option("--sign-url", help="With --url: the base URL the server validates signatures "
              "against (its PUBLIC_BASE_URL) [default: --url].")
@click.option("--max-steps", default=200, show_default=True, type=click.IntRange(1),
              help="Webhooks before the simulated caller gives up (ends loops).")
@click.option("-v", "--verbose", is_flag=True,
              help="Show full URLs, the parameters posted and the TwiML answered.")
@with_appcontext
def call_command(caller, to, line, at, script, url, token, sign_url, max_steps, verbose):
    """Place a call through the real webhooks and hear it in the terminal."""
    if url and at:
        fail("--at freezes the clock of this process, and a server at --url keeps its own: "
             "use --at without --url (in-process), or --url without --at")
    if sign_url and not url:
        fail("--sign-url goes with --url (in-process calls sign for PUBLIC_BASE_URL already)")
    moment = caracas_moment(at) if at else None
    out = Output(lambda text: click.echo(text, color=use_color()), color=use_color())
    if script is not None:
        try:
            answers = ScriptAnswers(parse_script(script))
        except ScriptError as error:
            fail(str(error))
    else:
        answers = PromptAnswers(read_line, lambda text: out.line("warn", f"⚠  {text}"))
    forwarded = None
    if line:
        forwarded = parse_phone(line)
        if forwarded is None:
            fail(f"--line {line!r} is not a phone number, e.g. 02124713239")
    settings = current_app.extensions["ivr"].settings
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            fail(f"--url {url!r} must look like http://127.0.0.1:5000")
        transport = HttpTransport(f"{parts.scheme}://{parts.netloc}")
        token = token or os.environ.get("TWILIO_AUTH_TOKEN") or str(settings.twilio_auth_token)
        sign_base = sign_url
        where = f"server {transport.base}"
    else:
        # In-process, the webhooks run on this process's database: it must be there (they
        # would create an empty SQLite file otherwise) and initialised.
        require_database(current_app.extensions["ivr"].engine, settings.database_url)
        transport = FlaskTransport(current_app._get_current_object())
        token = token or str(settings.twilio_auth_token)
        sign_base = settings.public_base_url
        where = "in-process"
    with ExitStack() as stack:
        if not url and not verbose:
            stack.enter_context(quiet_webhook_log())
        advance = None
        when = "now"
        if moment is not None:
            try:
                import time_machine
            except ImportError:  # a development tool (requirements-dev.txt), not the line's
                fail("--at needs time-machine: pip install -r requirements-dev.txt "
                     "(or make install)")

            traveller = time_machine.travel(moment, tick=False)
            coordinates = stack.enter_context(traveller)

            def advance(seconds: int) -> None:
                """The app's clock follows the call's simulated time."""
                coordinates.shift(timedelta(seconds=seconds))

            when = f"{moment:%a %Y-%m-%d %H:%M} Caracas time"
        via = f" (forwarded from {forwarded})" if forwarded else ""
        out.line("end", f"☎  {caller} calls {to}{via} · {when} · {where}")
        if script is None:
            out.line("note", "   Answer with keys (2, 123#), say:words, rec:20, dial:accept…; "
                             "Enter is silence; hangup or Ctrl-D hangs up.")
        walker = Walker(transport, answers, out, token=token, sign_base=sign_base,
                        caller=caller, to=to, forwarded_from=forwarded, max_steps=max_steps,
                        advance=advance, verbose=verbose)
        try:
            result = walker.run()
        except ScriptError as error:
            fail(str(error))
        except TooManySteps as error:
            fail(f"the call went round {error} and the caller gave up: is the line looping?")
        except TransportError as error:
            fail(str(error))
    if isinstance(answers, ScriptAnswers) and not answers.exhausted:
        left = len(answers.answers) - answers.used
        out.line("warn", f"⚠  {left} answer(s) of the script were not used")
    if result.failures:
        fail(f"{result.failures} webhook(s) failed during the call (see ⚠ above)")
