"""The threaded HTTP server of `cspbilling serve`: Django's development server, with one fault
fixed. After answering, Django's server reads the rest of a request body the view did not read
in one `read()`, in memory: a client that keeps sending a 1.5 GB upload after its 413 (or 401)
made the server grow to 1.6 GB. Here the rest is read in small pieces and thrown away, for a few
seconds at most; then the connection is closed."""

from __future__ import annotations

import time
from wsgiref import simple_server

from django.core.servers.basehttp import ServerHandler, WSGIRequestHandler, WSGIServer

DRAIN_CHUNK = 64 * 1024
DRAIN_SECONDS = 5.0


class BoundedServerHandler(ServerHandler):
    def close(self) -> None:
        stdin = self.get_stdin()
        deadline = time.monotonic() + DRAIN_SECONDS
        while stdin.read(DRAIN_CHUNK):
            if time.monotonic() > deadline:
                self.request_handler.close_connection = True
                break
        simple_server.ServerHandler.close(self)  # not Django's: it reads the rest at once


class BoundedRequestHandler(WSGIRequestHandler):
    def handle_one_request(self) -> None:
        # Django's own, with BoundedServerHandler in place of its ServerHandler.
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.requestline = self.request_version = self.command = ""
            self.send_error(414)
            return
        if not self.parse_request():
            return
        environ = self.get_environ()
        handler = BoundedServerHandler(self.rfile, self.wfile, self.get_stderr(), environ)
        handler.request_handler = self
        handler.run(self.server.get_app())


class BoundedWSGIServer(WSGIServer):
    """Django's WSGIServer whose requests are handled by BoundedRequestHandler."""

    def __init__(self, server_address, handler_class=None, *args, **kwargs) -> None:
        super().__init__(server_address, BoundedRequestHandler, *args, **kwargs)
