"""The two call flows, replayed the way Twilio would: each next URL comes from the TwiML.

Each step's request is fixed here (the same parameters on every run, so that results compare
across revisions); where the answer leads is found by the project's one TwiML walker
(`ivr.sim.walker.plan`, a dry run of the document that sends nothing).

A *wave* is N calls of one flow taken through the flow step by step: every call makes step 1,
then every call makes step 2, and so on, so that each webhook is measured on its own while
the calls keep their real state (call rows, cases, dial attempts). The put-through steps
(connect, whisper, accept, Dial action) go in chunks no larger than the analysts who are free,
so that every caller finds one; posting the Dial action releases the analyst for the next chunk.
"""

from __future__ import annotations

import random
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ivr.sim.walker import Answer, Plan, ScriptError, plan, read_twiml, request_target

ACCOUNT_SID = "AC" + "b3" * 16
TWILIO_NUMBER = "+12125550100"
DIGIT_WORDS = ("cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve")
FAULTS = ("la impresora no imprime, estamos parados", "no hay internet en la oficina",
          "el sistema de facturación está lento", "una consulta sobre el correo")


@dataclass
class Call:
    """One simulated inbound call and what its TwiML told us so far."""

    sid: str
    caller: str
    flow: str
    next_url: str = "/voice/incoming"
    status_seq: int = 0
    leg_sid: str | None = None
    analyst_phone: str | None = None
    whisper_url: str | None = None
    whisper_answer_url: str | None = None
    dial_action: str | None = None
    leg_status_url: str | None = None
    lookup: str = ""
    missing: str = ""
    company: str = ""
    off_path: str | None = None  # the step where the call left the expected flow
    notes: list[str] = field(default_factory=list)

    def params(self, status: str = "in-progress", **extra: str) -> dict[str, str]:
        """The parameters Twilio sends with every request of the parent call."""
        params = {
            "AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01", "CallSid": self.sid,
            "CallStatus": status, "Called": TWILIO_NUMBER, "CalledCity": "", "CalledCountry": "US",
            "CalledState": "NY", "CalledZip": "", "Caller": self.caller, "CallerCity": "",
            "CallerCountry": "VE", "CallerState": "", "CallerZip": "", "Direction": "inbound",
            "From": self.caller, "FromCity": "", "FromCountry": "VE", "FromState": "",
            "FromZip": "", "To": TWILIO_NUMBER, "ToCity": "", "ToCountry": "US",
            "ToState": "NY", "ToZip": "",
        }
        params.update(extra)
        return params

    def leg_params(self, status: str = "in-progress", **extra: str) -> dict[str, str]:
        """The parameters of the analyst's leg (an outbound-dial child of the call)."""
        params = {
            "AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01", "CallSid": self.leg_sid or "",
            "CallStatus": status, "Called": self.analyst_phone or "", "Caller": TWILIO_NUMBER,
            "Direction": "outbound-dial", "From": TWILIO_NUMBER, "ParentCallSid": self.sid,
            "To": self.analyst_phone or "", "ToCountry": "VE", "FromCountry": "US",
        }
        params.update(extra)
        return params


class OffPath(Exception):
    """The TwiML did not lead where the flow expects."""


ANSWERED = Answer.form({"Digits": "1"})  # some input: the Gather or Record posts its action


def _path(url: str | None) -> str:
    """The path of a URL from TwiML (relative or absolute)."""
    return urlsplit(url or "").path


def parse(body: bytes) -> ET.Element:
    """The TwiML document (NotTwiML when it is none)."""
    return read_twiml(body)


def _walk(root: ET.Element, url: str | None, *answers: Answer) -> Plan:
    """Where the walker goes from this document (fetched from `url`) with these answers."""
    try:
        return plan(root, url or "/", *answers)
    except ScriptError as error:  # the answers do not fit the document's questions
        raise OffPath(str(error)) from None


def describe(root: ET.Element) -> str:
    """A short description of a TwiML document, for the report of an unexpected answer."""
    parts = []
    for child in root:
        target = child.get("action") or (child.text or "").strip()[:40]
        if child.tag == "Dial":
            number = child.find("Number")
            target = f"{child.get('action')} -> {number.get('url') if number is not None else ''}"
        parts.append(f"{child.tag}({target})" if target else child.tag)
    return " ".join(parts) or "empty"


def is_apology(root: ET.Element) -> bool:
    """The error handler's answer: an apology that rings the fallback phones."""
    dial = root.find("Dial")
    return dial is not None and _path(dial.get("action")).startswith("/voice/fallback")


def expect_gather(path: str, **args: str) -> Callable[[Call, ET.Element], None]:
    """Check: a Gather posting to `path` (with these query arguments); it is the next URL."""
    def check(call: Call, root: ET.Element) -> None:
        """Follow the Gather's action."""
        walked = _walk(root, call.next_url, ANSWERED)
        following = walked.next
        if following is None or [q.kind for q in walked.asked] != ["gather"] \
                or following.path != path:
            raise OffPath(f"expected Gather to {path}")
        query = urlsplit(following.url).query
        for name, value in args.items():
            if f"{name}={value}" not in query.split("&"):
                raise OffPath(f"expected {path} with {name}={value}")
        call.next_url = request_target(following.url)
    return check


def expect_redirect(path: str) -> Callable[[Call, ET.Element], None]:
    """Check: a Redirect to `path` (no question on the way); it is the next URL."""
    def check(call: Call, root: ET.Element) -> None:
        """Follow the Redirect."""
        walked = _walk(root, call.next_url)
        following = walked.next
        if following is None or walked.asked or following.path != path:
            raise OffPath(f"expected Redirect to {path}")
        call.next_url = request_target(following.url)
    return check


def expect_dial(call: Call, root: ET.Element) -> None:
    """Check: a Dial to one analyst with a whisper URL, a Dial action and a leg callback."""
    walked = _walk(root, call.next_url, Answer("dial", "accept"))
    following, whispers = walked.next, walked.leg_documents()
    if following is None or following.path != "/voice/connect/result" \
            or len(whispers) != 1 or whispers[0].path != "/voice/whisper":
        raise OffPath("expected Dial to an analyst")
    call.dial_action = request_target(following.url)
    call.whisper_url = request_target(whispers[0].url)
    legs = walked.callbacks(leg=True)
    call.leg_status_url = request_target(legs[0].url) if legs else ""
    call.analyst_phone = whispers[0].params["To"]
    call.leg_sid = whispers[0].params["CallSid"]


def expect_whisper(call: Call, root: ET.Element) -> None:
    """Check: the whisper asks for 1 and hangs up on silence (voicemail never bridges)."""
    pressed = _walk(root, call.whisper_url, Answer("keys", "1"))
    accepted = pressed.next
    voicemail = _walk(root, call.whisper_url, Answer("silence"))
    if accepted is None or [q.kind for q in pressed.asked] != ["gather"] \
            or accepted.path != "/voice/whisper/answer" or voicemail.ended != "hangup":
        raise OffPath("expected the whisper's Gather and Hangup")
    call.whisper_answer_url = request_target(accepted.url)


def expect_bridge(call: Call, root: ET.Element) -> None:
    """Check: accepting answers an empty document, which bridges the call."""
    if len(root):
        raise OffPath("expected an empty Response (bridge)")


def expect_goodbye(call: Call, root: ET.Element) -> None:
    """Check: after the bridged call, goodbye."""
    if root.find("Hangup") is None:
        raise OffPath("expected Hangup")


@dataclass(frozen=True)
class Step:
    """One webhook of a flow: how to post it and what its answer must look like."""

    label: str
    view: str  # the Flask view function, for the profile
    request: Callable[[Call], tuple[str, dict[str, str]]]
    check: Callable[[Call, ET.Element], None] | None  # None: a callback answering 204
    chunked: bool = False  # a put-through step (at most as many calls as free analysts)
    always: bool = False  # also for calls that left the flow (the final status callback)


def _post_next(**extra: str) -> Callable[[Call], tuple[str, dict[str, str]]]:
    """Post the call's parameters (and `extra`) to the URL the last TwiML named."""
    return lambda call: (call.next_url, call.params(**extra))


def _spoken(number: str) -> str:
    """A case number said digit by digit, as the speech recogniser writes it."""
    return " ".join(DIGIT_WORDS[int(d)] for d in number)


def _status_callback(call: Call) -> tuple[str, dict[str, str]]:
    """The number's status callback: the call completed."""
    call.status_seq += 1
    return "/voice/status", call.params(
        "completed", CallDuration="187", CallbackSource="call-progress-events",
        SequenceNumber=str(call.status_seq), Timestamp="Wed, 25 Nov 2026 14:00:00 +0000")


def _leg_status(call: Call) -> tuple[str, dict[str, str]]:
    """The analyst leg's final status callback."""
    return call.leg_status_url or "", call.leg_params(
        "completed", CallDuration="95", CallbackSource="call-progress-events",
        SequenceNumber="3", Timestamp="Wed, 25 Nov 2026 14:03:00 +0000")


FLOW_A = (
    Step("A incoming", "incoming", _post_next(CallStatus="ringing"),
         expect_gather("/voice/menu")),
    Step("A menu: 1 (case number)", "menu", _post_next(Digits="1", msg="Gather End"),
         expect_redirect("/voice/case")),
    Step("A case: ask the number", "case_start", _post_next(),
         expect_gather("/voice/case/number")),
    Step("A case/number keyed (unknown)", "case_number",
         lambda c: (c.next_url, c.params(Digits=c.missing, FinishedOnKey="#")),
         expect_gather("/voice/case/number", t="2")),
    Step("A case/number spoken (found)", "case_number",
         lambda c: (c.next_url, c.params(SpeechResult=_spoken(c.lookup), Confidence="0.91")),
         expect_gather("/voice/case/option")),
    Step("A case/option: * (status again)", "case_option", _post_next(Digits="*"),
         expect_gather("/voice/case/option")),
    Step("A status callback", "status", _status_callback, None, always=True),
)

FLOW_B = (
    Step("B incoming", "incoming", _post_next(CallStatus="ringing"),
         expect_gather("/voice/menu")),
    Step("B menu: 2 (new fault, an analyst free)", "menu",
         _post_next(Digits="2", msg="Gather End"),
         expect_gather("/voice/report/field", f="company")),
    Step("B field: company", "report_field",
         lambda c: (c.next_url, c.params(SpeechResult=c.company, Confidence="0.88")),
         expect_gather("/voice/report/severity")),
    Step("B connect (put-through)", "report_severity",
         lambda c: (c.next_url, c.params(SpeechResult=random.choice(FAULTS),
                                         Confidence="0.85")),
         expect_dial, chunked=True),
    Step("B whisper", "whisper", lambda c: (c.whisper_url or "", c.leg_params()),
         expect_whisper, chunked=True),
    Step("B whisper/answer: 1", "whisper_answer",
         lambda c: (c.whisper_answer_url or "", c.leg_params(Digits="1", msg="Gather End")),
         expect_bridge, chunked=True),
    Step("B Dial action (bridged)", "connect_result",
         lambda c: (c.dial_action or "", c.params(
             DialCallStatus="completed", DialCallSid=c.leg_sid or "", DialCallDuration="95",
             DialBridged="true")), expect_goodbye, chunked=True),
    Step("B leg status callback", "leg_status", _leg_status, None),
    Step("B status callback", "status", _status_callback, None, always=True),
)

FLOWS = {"A": FLOW_A, "B": FLOW_B}


class CallFactory:
    """New calls with unique SIDs and caller IDs that no seeded case or contact has."""

    def __init__(self, existing: list[str], missing: list[str], companies: list[str],
                 seed: int = 11):
        """Numbers to look up (found and unknown) and company names to say."""
        self.existing, self.missing, self.companies = existing, missing, companies
        self.rng = random.Random(seed)
        self.counter = self.rng.randrange(1_000_000)

    def make(self, flow: str) -> Call:
        """A call of flow A (case lookup) or B (new fault and put-through)."""
        self.counter += 1
        prefix = "426" if flow == "A" else "416"
        call = Call(sid="CA" + uuid.uuid4().hex, caller=f"+58{prefix}{self.counter % 10**7:07d}",
                    flow=flow)
        call.lookup = self.rng.choice(self.existing)
        call.missing = self.rng.choice(self.missing)
        # Half the callers name a known company (a match in the directory), half do not.
        call.company = self.rng.choice(self.companies) if self.rng.random() < 0.5 \
            else f"Comercial Nueva {self.counter}"
        return call
