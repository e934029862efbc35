"""Several workers on one port, each listening on a socket of its own (Linux's SO_REUSEPORT).

uvicorn's workers share one listening socket. While they are idle, the worker the kernel wakes
first takes every new connection, so connections opened one after another (a client's pool, a
reverse proxy's keep-alive connections to its upstream) all land on one worker and the others
stand idle when the load comes. With a socket per worker the kernel spreads connections over
the workers by their addresses.

The supervisor binds a socket with SO_REUSEPORT and hands it to uvicorn as a file descriptor
(:func:`listening_socket`); it never listens, and the kernel hands connections to listening
sockets only. Each worker's event loop (:data:`BALANCED_LOOP`, uvicorn's ``loop`` option) sees
the option on the socket it is handed and listens on a fresh socket bound to the same address
instead. A worker that dies takes its socket with it (the connections waiting in its queue
are reset); the kernel sends new connections to the others until its successor listens.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from typing import Any

from allmende.core.errors import ConfigurationError

#: uvicorn's ``loop`` option for the workers of a :func:`listening_socket`.
BALANCED_LOOP = "allmende.http.workers:balanced_loop"


def listening_socket(host: str, port: int) -> socket.socket | None:
    """The supervisor's socket for ``host:port``, bound with SO_REUSEPORT; None where the
    kernel does not spread connections over such sockets (not Linux)."""
    if not sys.platform.startswith("linux") or not hasattr(socket, "SO_REUSEPORT"):
        return None
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # First without the option: a port that another process holds (with or without it) is
    # refused here, instead of being shared with that process without a word.
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigurationError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock = socket.socket(family, socket.SOCK_STREAM)
    _share_port(sock)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def own_socket(handed: socket.socket) -> socket.socket:
    """The socket a worker listens on: a fresh one on the same address where the supervisor's
    socket has SO_REUSEPORT, else the one handed over (uvicorn's shared socket)."""
    if not hasattr(socket, "SO_REUSEPORT") or handed.type != socket.SOCK_STREAM:
        return handed
    if not handed.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT):
        return handed
    # uvicorn rebuilds a socket given as a descriptor as AF_UNIX: the kernel knows better.
    family = handed.getsockopt(socket.SOL_SOCKET, socket.SO_DOMAIN)
    fresh = socket.socket(family, socket.SOCK_STREAM)
    _share_port(fresh)
    fresh.bind(handed.getsockname())
    return fresh


def _share_port(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)


def _listen_on_own_socket(kwargs: dict[str, Any]) -> dict[str, Any]:
    handed = kwargs.get("sock")
    if isinstance(handed, socket.socket):
        kwargs["sock"] = own_socket(handed)
    return kwargs


class _BalancedAsyncioLoop(asyncio.SelectorEventLoop):
    async def create_server(self, *args: Any, **kwargs: Any) -> Any:
        return await super().create_server(*args, **_listen_on_own_socket(kwargs))


def balanced_loop() -> asyncio.AbstractEventLoop:
    """A new event loop of the kind uvicorn would pick (uvloop where installed) that listens
    on :func:`own_socket` of the socket uvicorn hands over."""
    try:
        import uvloop
    except ImportError:  # uvicorn[standard] brings it where it runs
        return _BalancedAsyncioLoop()

    class BalancedUvloop(uvloop.Loop):
        async def create_server(self, *args: Any, **kwargs: Any) -> Any:
            return await super().create_server(*args, **_listen_on_own_socket(kwargs))

    return BalancedUvloop()
