"""The floor: the least any webhook of the line must do, as a Flask app of its own.

Every webhook of the line checks Twilio's signature over the form, records the request on its
call's row in one transaction (the row that bounds loops and makes Twilio's retries of one
webhook wait for each other), logs one line and answers TwiML. This app does exactly that and
nothing else (no menus, no cases, no routing), with the line's own pieces: the signature check
(ivr/voice/signature.py), Werkzeug's form parser, the call-row upsert
(ivr/calls.py) on the line's pooled connection (ivr/sql.py), the JSON log line; then it
answers the baseline's constant document.

Served by gunicorn beside the baseline (`make bench` measures it on each database, interleaved
with the baseline), its ratio is the ceiling for any webhook that keeps its call's record: the
line's webhooks can come close to it, not above it.
"""

from __future__ import annotations

import logging
import os
import time

from flask import Flask, Response, abort, request

from bench.baseline import BODY
from ivr.domain.clock import utcnow
from ivr.domain.phones import mask_phone
from ivr.logs import configure_logging
from ivr.services.calls import CallParams, touch_call
from ivr.store.engine import make_engine
from ivr.store.tx import Tx
from ivr.voice.forms import MAX_CONTENT_LENGTH
from ivr.voice.signature import SignatureCheck

log = logging.getLogger("ivr.webhook")


def create_floor_app() -> Flask:
    """The floor app on DATABASE_URL, checking signatures with TWILIO_AUTH_TOKEN."""
    configure_logging()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    engine = make_engine(os.environ["DATABASE_URL"])
    signatures = SignatureCheck(os.environ["TWILIO_AUTH_TOKEN"])

    @app.post("/", defaults={"path": ""})
    @app.post("/<path:path>")
    def answer(path: str) -> Response:
        """Signature, call row, log line, constant TwiML."""
        started = time.perf_counter()
        req = request._get_current_object()
        query = req.query_string.decode("latin-1")
        url = f"{req.scheme}://{req.host}{req.path}" + (f"?{query}" if query else "")
        form = req.form
        if not signatures.valid(url, form, req.headers.get("X-Twilio-Signature", "")):
            abort(403)
        tx = Tx(engine)
        try:
            touch_call(tx, CallParams.from_form(form), utcnow())
            tx.commit()
        finally:
            tx.close()
        log.info("webhook", extra={
            "call": (form.get("CallSid") or "")[:64], "step": path, "outcome": "ok",
            "status": 200, "from": mask_phone(form.get("From")),
            "ms": round((time.perf_counter() - started) * 1000, 1)})
        return Response(BODY, mimetype="text/xml")

    return app


app = create_floor_app() if os.environ.get("DATABASE_URL") else None
