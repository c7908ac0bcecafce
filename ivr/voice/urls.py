"""URLs of our own webhooks, built without Werkzeug's general URL builder.

The TwiML of one webhook names two to four URLs of ours (the Gather action, the Redirect on
silence, a Dial's callbacks); `flask.url_for` rebinds and walks the URL map for each. Our
webhook routes have no path arguments, so a URL is the request's script root, the route and
the query string encoded as Werkzeug encodes it. Routes with arguments (the recorded prompts)
still go through Flask; tests/test_urls.py checks both agree for every route.
"""

from __future__ import annotations

from urllib.parse import urlencode

import flask
from flask import current_app, request

_SAFE = "!$'()*,/:;?@"  # what Werkzeug leaves unescaped in a query string


def url_for(endpoint: str, **values) -> str:
    """`flask.url_for(endpoint, **values)`, the same string."""
    path = _paths(current_app._get_current_object()).get(endpoint)
    if path is None:
        return flask.url_for(endpoint, **values)
    url = request.script_root.rstrip("/") + path
    if values:
        query = urlencode([(k, v) for k, v in values.items() if v is not None], safe=_SAFE)
        if query:
            url += "?" + query
    return url


def _paths(app) -> dict[str, str]:
    """Endpoint -> path, for the routes that take no path arguments (built once per app)."""
    paths = app.extensions.get("ivr.paths")
    if paths is None:
        rules: dict[str, list] = {}
        for rule in app.url_map.iter_rules():
            rules.setdefault(rule.endpoint, []).append(rule)
        paths = {endpoint: found[0].rule for endpoint, found in rules.items()
                 if len(found) == 1 and not found[0].arguments and not found[0].defaults}
        app.extensions["ivr.paths"] = paths
    return paths
