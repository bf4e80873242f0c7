"""Network-level failures a production CKAN shows (5xx pages from a proxy, hanging requests, refused
connections), produced by a real local HTTP server on 127.0.0.1, become typed, retryable errors."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from catalog.ckan import CkanSettings
from catalog.ckan_release import CkanRelease, CkanResourceSpec
from catalog.ckan_target import CkanTarget
from catalog.errors import CkanServerError, CkanTimeout, CkanUnreachable

RELEASE = CkanRelease(
    name="eine-reihe", version="1.0.0", period="2026-07", temporal_start="2026-07-01", temporal_end="2026-07-31",
    title="T", notes="N", licence_key="dl-de/by-2-0", licence_uri="http://dcat-ap.de/def/licenses/dl-by-de/2.0",
    author="A", author_email="", maintainer="M", maintainer_email="m@example.org", url="", tags=(), themes=(),
    dcat={},
    resources=(CkanResourceSpec("1.0.0/daten", "daten", "1.0.0", "T", "eine-reihe.csv", b"a\n1\n",
                                "http://publications.europa.eu/resource/authority/file-type/CSV",
                                "https://www.iana.org/assignments/media-types/text/csv"),),
    rows=(("a",), ("1",)),
)


class _Handler(BaseHTTPRequestHandler):
    mode = "500"

    def log_message(self, *args):
        pass

    def _answer(self):
        if self.mode == "hang":
            time.sleep(3)
        body = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
        self.send_response(502 if self.mode == "502" else 500)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # the client gave up (timeout test): the late answer hits a closed socket


@pytest.fixture
def server():
    servers = []

    def start(mode: str) -> str:
        handler = type("H", (_Handler,), {"mode": mode})
        srv = _QuietServer(("127.0.0.1", 0), handler)
        srv.daemon_threads = True
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
        return f"http://127.0.0.1:{srv.server_address[1]}"

    yield start
    for srv in servers:
        srv.shutdown()
        srv.server_close()


@pytest.mark.parametrize("mode, status", [("500", 500), ("502", 502)])
def test_server_errors(server, mode, status):
    url = server(mode)
    with pytest.raises(CkanServerError) as exc:
        CkanTarget(CkanSettings(url, "token", "org")).publish(RELEASE)
    assert exc.value.retryable and exc.value.params["status"] == status
    assert exc.value.code == "catalog.ckan.server_error" and f"HTTP {status}" in exc.value.message("de")


def test_timeout(server):
    url = server("hang")
    started = time.monotonic()
    with pytest.raises(CkanTimeout) as exc:
        CkanTarget(CkanSettings(url, "token", "org", timeout=0.5)).publish(RELEASE)
    assert time.monotonic() - started < 2.5
    assert exc.value.retryable and "0.5" in exc.value.message("en")


def test_connection_refused():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(CkanUnreachable) as exc:
        CkanTarget(CkanSettings(f"http://127.0.0.1:{port}", "token", "org", timeout=2)).publish(RELEASE)
    assert exc.value.retryable and exc.value.params["detail"] == "Connection refused"
    assert exc.value.to_dict()["message_en"].startswith("CKAN at http://127.0.0.1:")


def test_settings_from_mapping():
    assert CkanSettings.from_mapping({}) is None
    assert CkanSettings.from_mapping({"FREIGABE_CKAN_URL": "http://x/", "FREIGABE_CKAN_TOKEN": "t"}) is None
    s = CkanSettings.from_mapping(
        {
            "FREIGABE_CKAN_URL": "https://ckan.example/",
            "FREIGABE_CKAN_TOKEN": "t",
            "FREIGABE_CKAN_ORG": "o",
            "FREIGABE_CKAN_TIMEOUT": "12",
            "FREIGABE_CKAN_LICENSE_MAP": "dl-de/by-2-0=dl-by-de/2.0; cc-by-4.0 = CC-BY-4.0",
        }
    )
    assert (s.url, s.token, s.org, s.timeout) == ("https://ckan.example", "t", "o", 12.0)
    assert s.license_map == {"dl-de/by-2-0": "dl-by-de/2.0", "cc-by-4.0": "CC-BY-4.0"}
