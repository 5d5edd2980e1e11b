"""Schemathesis hooks for scripts/schemathesis.sh: keep generated requests harmless and useful.

* Server definitions never reach beyond this machine: any `command` becomes the fixture
  server binary, any URL with a host becomes a loopback URL, Docker isolation is switched off.
  (The run also sits in its own network namespace when `unshare -n` is allowed.)
* Path parameter `name` is often one of the fixture servers, so operations get past 404;
  DELETE only ever removes the spare server `fx-spare` or an unknown name, so the fixtures
  stay for the rest of the run.
"""

import os
import random
import re

import schemathesis

FIXTURE_BIN = os.environ["MCPPROXY_ST_FIXTURE_BIN"]
LIVE = ["fx-stdio", "fx-http"]
_rng = random.Random(int(os.environ.get("MCPPROXY_ST_SEED", "7")))


_SAFE_URL = re.compile(
    r"https?://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]{1,5})?(/[A-Za-z0-9._~/%-]*)?(\?[A-Za-z0-9._~=&%-]*)?"
)


def _loopback(url):
    """Any string the proxy could take for an http(s) URL that is not plainly a loopback URL
    becomes http://127.0.0.1:9/mcp (a closed port)."""
    if not isinstance(url, str) or "http" not in url.lower() or _SAFE_URL.fullmatch(url):
        return url
    return "http://127.0.0.1:9/mcp"


def _server_body(body):
    if not isinstance(body, dict):
        return body
    if isinstance(body.get("command"), str) and body["command"].strip():
        body["command"] = FIXTURE_BIN
    if "url" in body:
        body["url"] = _loopback(body["url"])
    if isinstance(body.get("isolation"), dict):
        body["isolation"]["enabled"] = False
    oauth = body.get("oauth")
    if isinstance(oauth, dict):
        for key in list(oauth):
            oauth[key] = _loopback(oauth[key])
    return body


@schemathesis.hook
def before_call(context, case, kwargs):
    path = case.operation.path
    method = case.operation.method.upper()
    params = case.path_parameters
    if params is not None and "name" in params:
        if method == "DELETE" and path == "/api/v1/servers/{name}":
            if params["name"] in LIVE or _rng.random() < 0.3:
                params["name"] = "fx-spare"
        elif _rng.random() < 0.6:
            params["name"] = _rng.choice(LIVE)
    if path in ("/api/v1/servers", "/api/v1/servers/{name}") and method in ("POST", "PATCH"):
        case.body = _server_body(case.body)
