"""The suite-wide network guard: a test reaches loopback only (pytest-socket for connections,
tests/conftest.py for name lookups). If these pass, no other test can touch the internet."""

from __future__ import annotations

import asyncio
import socket

import pytest
from pytest_socket import SocketConnectBlockedError

# pytest-socket also warns about each refused connection: here the refusal is the point
pytestmark = pytest.mark.filterwarnings("ignore:A test tried to use socket")


def test_a_connection_beyond_loopback_is_refused():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(SocketConnectBlockedError):
        sock.connect(("93.184.215.14", 80))  # a public address: refused before any packet leaves


async def test_an_asyncio_connection_beyond_loopback_is_refused():
    with pytest.raises(SocketConnectBlockedError):
        await asyncio.wait_for(asyncio.open_connection("1.1.1.1", 443), 5)


@pytest.mark.parametrize("name", ["example.com", "openrouter.ai", b"api.openai.com"])
def test_a_name_lookup_is_refused(name):
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo(name, 443)


async def test_a_name_lookup_through_the_event_loop_is_refused():
    with pytest.raises(socket.gaierror):
        await asyncio.get_running_loop().getaddrinfo("example.com", 443)


def test_loopback_still_works():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=5):
            pass
    assert socket.getaddrinfo("localhost", 80)
