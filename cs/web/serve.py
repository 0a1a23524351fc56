"""Listening sockets for `cs web`: loopback only (127.0.0.1 and ::1, one port),
unless an address is given explicitly. Tests: tests/test_web.py."""

import socket

from cs.errors import CsError


def bind(host, port: int) -> list:
    if host:
        return [_listen(socket.AF_INET6 if ":" in host else socket.AF_INET, host, port)]
    try:
        first = _listen(socket.AF_INET, "127.0.0.1", port)
    except OSError:
        if port == 0:
            raise
        first = _listen(socket.AF_INET, "127.0.0.1", 0)  # the default port is taken: any free one
    sockets = [first]
    try:
        sockets.append(_listen(socket.AF_INET6, "::1", first.getsockname()[1]))
    except OSError:
        pass  # no IPv6 loopback here: IPv4 alone
    return sockets


def _listen(family, host: str, port: int):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    try:
        s.bind((host, port))
    except OSError as e:
        s.close()
        if port:
            raise
        raise CsError(f"cannot listen on {host}: {e.strerror}") from None
    s.listen(128)
    s.set_inheritable(True)
    return s
