"""`searcher serve`: the web application run by uvicorn, until Ctrl-C.

The socket is bound here, before uvicorn starts, so that the address printed is the
one served (port 0: the one the system chose) and nothing else can take the port in
between. uvicorn's own logs are quiet: our Guard logs one line a request on stderr.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import sys
from typing import Callable

from ..render import plural
from .app import LOOPBACK, make_app
from .library import Library


def serve(library: Library, host: str, port: int, *, token: str | None = None, hosts: tuple[str, ...] = (),
          say: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)) -> None:
    """Serve the page and the API on host:port until interrupted; `hosts` are more names
    the server may be reached by (besides its address, and the loopback names when it is
    bound to loopback)."""
    import uvicorn

    index = library.index()
    served = _served_names(host, tuple(hosts))
    app = make_app(library, hosts=served, token=token)
    app.state.articles = len(index)
    listening = _bind(host, port)
    bound_port = listening.getsockname()[1]
    shown_host = f"[{host}]" if ":" in host else host
    say(f"Serving {library.config.index.name} ({plural(len(index), 'article')}) on http://{shown_host}:{bound_port}"
        f"{' (with a token)' if token else ''}  (Ctrl-C stops)")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    log = logging.getLogger("searcher.serve")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    try:
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", server_header=False,
                                timeout_graceful_shutdown=5)
        try:
            uvicorn.Server(config).run(sockets=[listening])
        except KeyboardInterrupt:  # (uvicorn stops, then raises Ctrl-C again: for a server, the way to stop)
            pass
    finally:
        log.removeHandler(handler)
        listening.close()
        library.close()
    say("Stopped.")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _served_names(host: str, more: tuple[str, ...]) -> tuple[str, ...]:
    """The Host header values a server bound to `host` answers: the address itself, the
    loopback names on loopback, and `more`. Bound to every interface (0.0.0.0, ::), any
    name unless `more` says which (the names this machine is reached by are not known here)."""
    if host in ("0.0.0.0", "::", ""):
        return (*LOOPBACK, *more) if more else ("*",)
    if is_loopback(host):
        return (host, *LOOPBACK, *more)
    return (host, *more)


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # (IPPROTO_TCP said, not 0: asyncio turns Nagle's algorithm off only on the sockets
    # it knows for TCP, and with it on, the second answer on a kept-alive connection
    # waited 40 ms for the client's delayed acknowledgement.)
    listening = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind((host, port))
    except OSError as error:
        listening.close()
        from ..errors import SearcherError

        raise SearcherError(f"cannot serve on {host}:{port}: {error.strerror or error}",
                            hint="choose another --port, or stop what uses it") from None
    listening.listen(128)
    listening.set_inheritable(True)
    return listening
