"""A listening socket per worker: the supervisor's socket and what each worker makes of it."""

from __future__ import annotations

import asyncio
import os
import socket
import sys

import pytest

from allmende.core.errors import ConfigurationError
from allmende.http.workers import balanced_loop, listening_socket, own_socket
from tests.support.aio import run_to_end
from tests.support.served_process import listening_sockets

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="SO_REUSEPORT spreads connections on Linux only"
)


def test_the_supervisor_binds_a_port_it_never_listens_on() -> None:
    sock = listening_socket("127.0.0.1", 0)
    assert sock is not None
    try:
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
        assert listening_sockets(sock.getsockname()[1]) == 0
    finally:
        sock.close()


def test_a_port_another_process_holds_is_refused_not_shared() -> None:
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        with pytest.raises(ConfigurationError, match=f"cannot listen on 127.0.0.1:{port}"):
            listening_socket("127.0.0.1", port)


def test_each_worker_listens_on_a_fresh_socket_of_the_same_address() -> None:
    supervisor = listening_socket("127.0.0.1", 0)
    assert supervisor is not None
    # What a worker is handed: uvicorn rebuilds a descriptor as an AF_UNIX socket.
    handed = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, fileno=os.dup(supervisor.fileno()))
    try:
        first, second = own_socket(handed), own_socket(handed)
        assert first.family == second.family == socket.AF_INET
        assert first.getsockname() == second.getsockname() == supervisor.getsockname()
        first.listen()
        second.listen()
        assert listening_sockets(supervisor.getsockname()[1]) == 2
        first.close()
        second.close()
    finally:
        handed.close()
        supervisor.close()


def test_a_shared_socket_without_the_option_is_kept() -> None:
    with socket.socket() as shared:
        shared.bind(("127.0.0.1", 0))
        assert own_socket(shared) is shared


def test_the_workers_loop_serves_on_its_own_socket() -> None:
    supervisor = listening_socket("127.0.0.1", 0)
    assert supervisor is not None
    port = supervisor.getsockname()[1]

    async def serve_and_ask() -> bytes:
        server = await asyncio.get_running_loop().create_server(
            _Hello, sock=socket.socket(fileno=os.dup(supervisor.fileno()))
        )
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            answer = await reader.read(5)
            writer.close()
            return answer
        finally:
            server.close()

    try:
        assert run_to_end(serve_and_ask(), balanced_loop) == b"hello"
    finally:
        supervisor.close()


class _Hello(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.write(b"hello")  # type: ignore[attr-defined]  # uvloop's is no WriteTransport
        transport.close()
