"""Serve the demo sites over real HTTP on the loopback interface, one port per site.

``DemoServer(market)`` starts a stdlib ``ThreadingHTTPServer`` per site in
background threads. ``GET /__demo__/epoch?set=1`` on any site port (loopback
clients only) switches the market's epoch; ``/__demo__/ground-truth`` returns
the ground truth as JSON.
"""

from __future__ import annotations

import ipaddress
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .market import SITE_NAMES, DemoMarket
from .sites import SITES, DemoSite, Response


class _DemoHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def _handler_for(site: DemoSite, server: DemoServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = f"{site.title.replace(' ', '')}/1.0"
        protocol_version = "HTTP/1.1"

        def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
            pass

        def _respond(self, resp: Response, head: bool = False) -> None:
            self.send_response(resp.status)
            for key, value in resp.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(resp.body)))
            self.end_headers()
            if not head:
                self.wfile.write(resp.body)

        def _route(self) -> Response:
            parts = urlsplit(self.path)
            if parts.path.startswith("/__demo__/"):
                return self._control(parts.path, parts.query)
            return site.handle(server.market, parts.path, parts.query)

        def _control(self, path: str, query: str) -> Response:
            if not ipaddress.ip_address(self.client_address[0]).is_loopback:
                return Response(403, b"forbidden\n", {"Content-Type": "text/plain"})
            if path == "/__demo__/epoch":
                wanted = parse_qs(query).get("set")
                if wanted:
                    try:
                        server.market.set_epoch(int(wanted[0]))
                    except ValueError as exc:
                        return Response(
                            400, (str(exc) + "\n").encode(), {"Content-Type": "text/plain"}
                        )
                body = json.dumps({"epoch": server.market.epoch}).encode()
                return Response(200, body, {"Content-Type": "application/json"})
            if path == "/__demo__/ground-truth":
                body = json.dumps(server.ground_truth(), ensure_ascii=False).encode("utf-8")
                return Response(200, body, {"Content-Type": "application/json; charset=utf-8"})
            return Response(404, b"unknown control path\n", {"Content-Type": "text/plain"})

        def do_GET(self):  # noqa: N802 - the stdlib's name
            self._respond(self._route())

        def do_HEAD(self):  # noqa: N802
            self._respond(self._route(), head=True)

    return Handler


class DemoServer:
    """The three demo sites of ``market`` on ``host``, each on its own port.

    ``ports`` maps site name to port (or is a list in ``SITE_NAMES`` order);
    ``None`` or 0 picks a free ephemeral port. Use as a context manager, or call
    ``start()`` and ``stop()``.
    """

    def __init__(
        self,
        market: DemoMarket,
        host: str = "127.0.0.1",
        ports: dict[str, int] | list[int] | None = None,
    ):
        self.market = market
        self.host = host
        if ports is None:
            ports = {}
        elif not isinstance(ports, dict):
            ports = dict(zip(SITE_NAMES, ports, strict=False))
        self._wanted_ports = ports
        self._servers: dict[str, _DemoHTTPServer] = {}
        self._threads: list[threading.Thread] = []

    def start(self) -> DemoServer:
        """Bind every site and serve in background threads; returns self."""
        try:
            for name in SITE_NAMES:
                httpd = _DemoHTTPServer(
                    (self.host, self._wanted_ports.get(name) or 0), _handler_for(SITES[name], self)
                )
                self._servers[name] = httpd
                thread = threading.Thread(
                    target=httpd.serve_forever,
                    kwargs={"poll_interval": 0.2},
                    name=f"demo:{name}",
                    daemon=True,
                )
                thread.start()
                self._threads.append(thread)
        except OSError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop serving and close every socket."""
        for httpd in self._servers.values():
            httpd.shutdown()
            httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    @property
    def ports(self) -> dict[str, int]:
        return {name: httpd.server_address[1] for name, httpd in self._servers.items()}

    @property
    def base_urls(self) -> dict[str, str]:
        """``{"demo-velvet": "http://127.0.0.1:PORT", ...}`` of the running sites."""
        return {name: f"http://{self.host}:{port}" for name, port in self.ports.items()}

    def set_epoch(self, epoch: int) -> None:
        self.market.set_epoch(epoch)

    def ground_truth(self) -> dict:
        """The market's ground truth with the real ports filled in."""
        return self.market.ground_truth(self.ports, self.host)

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
