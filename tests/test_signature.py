"""The one-HMAC signature check agrees with twilio's RequestValidator on every input."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from ivr.voice.signature import SignatureCheck

TOKEN = "12345678901234567890123456789012"
names = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12)
values = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
pairs = st.lists(st.tuples(names, values), max_size=12)
urls = st.sampled_from([
    "https://ivr.example.com/voice/incoming",
    "https://ivr.example.com:443/voice/menu?t=2",
    "http://127.0.0.1:8000/voice/report/field?f=name&c=12&t=1",
    "https://ivr.example.com/voice/case/number?t=3&x=%2B58",
])


@settings(max_examples=300, deadline=None)
@given(url=urls, form=pairs)
def test_same_signature_as_twilio(url, form):
    """For any parameters, repeated names included, both compute the same signature."""
    params = MultiDict(form)
    library = RequestValidator(TOKEN)
    # The library reads a MultiDict through getall(); Werkzeug's has getlist().
    as_lists = {name: params.getlist(name) for name in params}
    expected = library.compute_signature(url, _GetAll(as_lists))
    assert SignatureCheck(TOKEN).signature(url, params) == expected


@settings(max_examples=200, deadline=None)
@given(url=urls, form=pairs, forged=st.booleans(), other_port=st.booleans())
def test_same_verdict_as_twilio(url, form, forged, other_port):
    """Valid, forged, and signed for the other port form: the same verdict as the library."""
    params = MultiDict(form)
    library = RequestValidator(TOKEN)
    signed_url = url.replace("ivr.example.com/", "ivr.example.com:443/") if other_port else url
    signature = library.compute_signature(
        signed_url, _GetAll({name: params.getlist(name) for name in params}))
    if forged:
        signature = signature[:-2] + ("AA" if not signature.endswith("AA") else "BB")
    check = SignatureCheck(TOKEN)
    assert check.valid(url, params, signature) == library.validate(url, params, signature)
    assert check.valid(url, params, signature) is not forged


def test_empty_signature_is_refused():
    """No header: refused without computing anything."""
    assert not SignatureCheck(TOKEN).valid("https://ivr.example.com/voice/incoming", {}, "")


class _GetAll(dict):
    """A dict of lists with the getall() the library looks for first."""

    def getall(self, name):
        return self[name]
