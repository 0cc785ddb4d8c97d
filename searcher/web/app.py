"""The web application: the routes of the page and the API, and what guards them.

`make_app` puts together a Starlette application over a `Library` (the served
index). In front of every route, one small ASGI layer (`Guard`):

- refuses a request whose Host header names another site than the one served
  (a web page elsewhere reaching this server through DNS rebinding);
- with a token, refuses a request without `Authorization: Bearer TOKEN` (or the token as a
  Basic password: how a browser, which asks for one, sends it);
- logs one line a request (method, path, status, time) to the "searcher.serve" logger.

Only GET (and HEAD) are routed: another method is 405, and no request body is ever
read. No route serves files: no path on disk can be reached by a URL. A SearcherError
becomes its status (errors.http_status_for) with its one-line message: JSON under
/api, a page elsewhere. Anything else is our bug: a 500 without a traceback for the
client (the traceback goes to the server's log).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import time
from typing import Any, Iterable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from ..errors import QueryError, RequestError, SearcherError, http_status_for
from . import api, pages
from .library import Library

log = logging.getLogger("searcher.serve")
_LOGGED = 300  # the characters of a request's path and query that its line of the log shows

#: The names of this machine's loopback address, always served by a server bound to it.
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def make_app(library: Library, *, hosts: Iterable[str] = LOOPBACK, token: str | None = None) -> Starlette:
    """The page and the API over `library`, answering requests whose Host is one of
    `hosts` (names or addresses, without the port; "*" for any) and, with a `token`,
    that carry it."""
    get = ["GET"]
    routes = [
        Route("/", pages.search_page, methods=get),
        Route("/articles/{article_id:path}", pages.article_page, methods=get),
        Route("/api", pages.api_page, methods=get),
        Route(f"/api/{api.VERSION}/search", api.search, methods=get),
        Route(f"/api/{api.VERSION}/articles/{{article_id:path}}", api.article, methods=get),
        Route(f"/api/{api.VERSION}/similar/{{article_id:path}}", api.similar, methods=get),
        Route(f"/api/{api.VERSION}/timeline", api.timeline_of, methods=get),
        Route(f"/api/{api.VERSION}/words", api.words, methods=get),
        Route(f"/api/{api.VERSION}/stats", api.stats, methods=get),
        Route(f"/api/{api.VERSION}/health", api.health, methods=get),
        Route(f"/api/{api.VERSION}/openapi.json", api.openapi, methods=get),
    ]
    app = Starlette(routes=routes, exception_handlers={SearcherError: _error, 404: _not_found, 405: _not_allowed,
                                                       500: _our_bug})
    app.state.library = library
    app.state.templates = pages.templates()
    app.state.name = library.config.index.name
    app.state.articles = 0  # (said on the pages: set by the server when it opens the index)
    app.add_middleware(Guard, hosts=tuple(hosts), token=token)
    return app


def _wants_json(request: Request) -> bool:
    return request.url.path == "/api" or request.url.path.startswith("/api/")


def error_body(error: SearcherError) -> dict[str, Any]:
    body: dict[str, Any] = {"error": str(error), "status": http_status_for(error)}
    if isinstance(error, RequestError) and error.parameter:
        body["parameter"] = error.parameter
    if isinstance(error, QueryError) and error.position is not None:
        body["position"] = error.position
    return body


async def _error(request: Request, error: Exception) -> Response:
    assert isinstance(error, SearcherError)
    status = http_status_for(error)
    if _wants_json(request):
        return JSONResponse(error_body(error), status_code=status)
    title = {404: "Not found", 503: "The index can't be read now"}.get(status, "Bad request")
    return pages.render(request, "error.html", status, title=title, message=str(error))


async def _not_found(request: Request, error: Exception) -> Response:
    message = f"nothing at {request.url.path}"
    if _wants_json(request):
        return JSONResponse({"error": message, "status": 404}, status_code=404)
    return pages.render(request, "error.html", 404, title="Not found", message=message)


async def _not_allowed(request: Request, error: Exception) -> Response:
    return JSONResponse({"error": f"{request.method} is not served: only GET", "status": 405}, status_code=405,
                        headers={"Allow": "GET, HEAD"})


async def _our_bug(request: Request, error: Exception) -> Response:
    # (Starlette raises the error again once this answer is sent: uvicorn logs its traceback.)
    message = "searcher failed on this request (a bug: the server's log has the details)"
    if _wants_json(request):
        return JSONResponse({"error": message, "status": 500}, status_code=500)
    return HTMLResponse(f"<!doctype html><title>Error</title><p>{message}</p>", status_code=500)


class Guard:
    """The Host check, the token check and the request log (see the module's docstring)."""

    def __init__(self, app: Any, hosts: tuple[str, ...], token: str | None) -> None:
        self.app = app
        self.hosts = {host.lower().strip("[]") for host in hosts}
        self.token = token.encode() if token else None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        headers = {key.lower(): value for key, value in scope["headers"]}

        async def sent(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            refusal = self._refusal(headers, scope["path"])
            if refusal is None:
                await self.app(scope, receive, sent)
            else:
                status, text, extra = refusal
                await JSONResponse({"error": text, "status": status}, status_code=status, headers=extra)(
                    scope, receive, sent)
        finally:
            path = scope["path"] + (f"?{scope['query_string'].decode('latin-1')}" if scope["query_string"] else "")
            if len(path) > _LOGGED:  # (a 70,000-character query, refused, was a 70 KB line of the log)
                path = f"{path[:_LOGGED]}... ({len(path):,} characters)"
            log.info('%s "%s %s" %d %.1f ms', (scope.get("client") or ("-",))[0], scope["method"], path, status,
                     (time.perf_counter() - started) * 1000)

    def _refusal(self, headers: dict[bytes, bytes], path: str) -> tuple[int, str, dict[str, str]] | None:
        host = _host_name(headers.get(b"host", b"").decode("latin-1"))
        if "*" not in self.hosts and host not in self.hosts:
            return 400, (f"this server does not serve the site {host!r} (the Host header): open it by its own "
                         "address"), {}
        if self.token is not None and not hmac.compare_digest(_secret(headers.get(b"authorization", b"")), self.token):
            # (A browser can't send a Bearer header: it asks for a password, any user name, the token.)
            challenge = "Bearer" if path.startswith("/api/") else 'Basic realm="searcher", charset="UTF-8"'
            return 401, ("this server needs its token: send the header Authorization: Bearer TOKEN (a browser "
                         "asks for it as a password)"), {"WWW-Authenticate": challenge}
        return None


def _secret(header: bytes) -> bytes:
    """The token an Authorization header carries: "Bearer TOKEN", or "Basic" with the token
    as the password (what a browser sends when it asked for one); b"" for anything else."""
    scheme, _, value = header.strip().partition(b" ")
    if scheme.lower() == b"bearer":
        return value.strip()
    if scheme.lower() == b"basic":
        try:
            return base64.b64decode(value.strip(), validate=True).partition(b":")[2]
        except (binascii.Error, ValueError):
            return b""
    return b""


def _host_name(header: str) -> str:
    """The host of a Host header, without its port: "127.0.0.1:8080" -> "127.0.0.1", "[::1]:80" -> "::1"."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header
