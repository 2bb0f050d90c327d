"""The dashboard's pages: ``GET /`` and its static files under ``/dashboard/``.

The files ship inside the package (``static/``) and are served as they are:
nothing is fetched from anywhere else, and every response forbids scripts
and styles from other origins, inline scripts, and frames
(``Content-Security-Policy``), so a value that slipped past the page's own
escaping still could not run.

With a token, the pages need it like the API does.  A browser cannot put a
bearer token on its requests, so ``GET /?token=TOKEN`` checks it, keeps it in
an HttpOnly, SameSite=Strict cookie for this host and port, and redirects to
``/``; requests that carry that cookie count as carrying the token.
"""

from __future__ import annotations

import hmac
import re
from importlib import resources
from typing import Final

from aiohttp import web

__all__ = ["STATIC_NAMES", "add_dashboard", "authorised", "is_page", "token_cookie",
           "token_from_query"]

_TYPES: Final = {".js": "text/javascript", ".css": "text/css", ".html": "text/html",
                 ".svg": "image/svg+xml"}
_NAME = re.compile(r"[a-z][a-z0-9-]*\.(?:js|css|svg)")
_HEADERS: Final = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; connect-src 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def _static() -> dict[str, bytes]:
    folder = resources.files("testbed.server.dashboard") / "static"
    return {entry.name: entry.read_bytes() for entry in folder.iterdir()
            if entry.name == "index.html" or _NAME.fullmatch(entry.name)}


#: The files served: index.html at ``/``, the others at ``/dashboard/NAME``.
STATIC_NAMES: Final = tuple(sorted(_static()))


def _file(files: dict[str, bytes], name: str) -> web.Response:
    suffix = name[name.rfind("."):]
    return web.Response(body=files[name], content_type=_TYPES[suffix],
                        charset="utf-8", headers=_HEADERS)


def add_dashboard(app: web.Application) -> None:
    """Serve the dashboard at ``/`` of ``app`` (register before any catch-all route)."""
    files = _static()

    async def index(_request: web.Request) -> web.Response:
        return _file(files, "index.html")

    async def asset(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name == "index.html" or name not in files:
            raise web.HTTPNotFound(text=f"no dashboard file {name[:100]!r}")
        return _file(files, name)

    app.router.add_get("/", index)
    app.router.add_get("/dashboard/{name}", asset)


def is_page(request: web.Request) -> bool:
    """Whether ``request`` asks for the dashboard's pages (not the API)."""
    return request.method in ("GET", "HEAD") and (
        request.path == "/" or request.path.startswith("/dashboard/"))


def token_cookie(request: web.Request) -> str:
    """The cookie that keeps the token for this server (cookies ignore ports; names do not)."""
    return f"testbed_token_{request.url.port or 0}"


def authorised(request: web.Request, token: str) -> bool:
    """Whether ``request`` carries ``token``: as a bearer token, or in the cookie."""
    given = request.headers.get("Authorization", "")
    if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    kept = request.cookies.get(token_cookie(request), "")
    return bool(kept) and hmac.compare_digest(kept.encode(), token.encode())


def token_from_query(request: web.Request, token: str) -> web.StreamResponse | None:
    """For ``GET /?token=TOKEN`` with the right token: a redirect to ``/`` that keeps it
    in the cookie; None otherwise."""
    given = request.query.get("token")
    if request.path != "/" or given is None \
            or not hmac.compare_digest(given.encode(), token.encode()):
        return None
    response = web.Response(status=303, headers={"Location": "/"})
    response.set_cookie(token_cookie(request), token, httponly=True, samesite="Strict",
                        path="/")
    return response
