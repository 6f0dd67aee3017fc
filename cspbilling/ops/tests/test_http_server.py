"""`cspbilling serve` stays small when a client keeps sending a huge body after its answer."""

from __future__ import annotations

import threading
import tracemalloc

import pytest
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
from django.core.wsgi import get_wsgi_application

from cspbilling.ops.http_server import BoundedWSGIServer
from cspbilling.upstream.tests.raw_http import file_part_head, open_upload, read_response

MB = 1024 * 1024
BODY_MB = 120


def _peak_while_a_client_sends_everything(server_cls) -> tuple[int, int]:
    """(status, peak traced bytes) for an unauthenticated 120 MB upload sent whole regardless."""
    server = server_cls(("127.0.0.1", 0), WSGIRequestHandler)
    server.set_app(get_wsgi_application())
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    head = file_part_head()
    tracemalloc.start()
    try:
        sock = open_upload(
            f"http://127.0.0.1:{server.server_address[1]}",
            "/api/v1/upstream/imports",
            content_length=len(head) + BODY_MB * MB,
            head=head,
            headers={},  # no token: 401, the body is never read by the view
        )
        chunk = b"x" * MB
        try:
            for _ in range(BODY_MB):
                sock.sendall(chunk)
        except OSError:
            pass
        status, _headers, _body = read_response(sock)
        sock.close()
        thread.join(timeout=30)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        server.server_close()
    return status, peak


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_rest_of_an_unread_body_is_thrown_away_in_small_pieces():
    status, peak = _peak_while_a_client_sends_everything(BoundedWSGIServer)
    assert status == 401
    assert peak < 16 * MB, f"the server held {peak / MB:.0f} MB"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_django_s_own_server_holds_it_whole_which_is_why_serve_does_not_use_it():
    status, peak = _peak_while_a_client_sends_everything(WSGIServer)
    assert status == 401 and peak > BODY_MB * MB * 0.9
