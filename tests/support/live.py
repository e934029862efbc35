"""uvicorn in a thread of the test process, on a socket bound here to a free port (so that
parallel test workers never race for one)."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import uvicorn


@dataclass
class Running:
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        """Shut down as uvicorn does on a signal (idle keep-alive connections are closed, the
        app's lifespan ends); forced only if a client still holds a request after 2 s."""
        self.server.should_exit = True
        self.thread.join(timeout=2)
        if self.thread.is_alive():
            self.server.force_exit = True
            self.thread.join(timeout=10)


def bound_socket() -> socket.socket:
    """A socket bound to a free port of loopback, to learn the port before the app exists
    (for settings that name the site's own address)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


def serve(app: Any, sock: socket.socket | None = None) -> Running:
    sock = sock or bound_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("live server did not start")
        time.sleep(0.05)
    return Running(f"http://127.0.0.1:{port}", server, thread)
