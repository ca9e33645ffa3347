"""Readiness probes: when is a server or a service ready for clients? Stdlib only, no client libraries."""

from __future__ import annotations

import socket
import struct
import urllib.error
import urllib.request


def tcp_open(port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout):
            return True
    except OSError:
        return False


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("connection closed by the broker")
        data += chunk
    return data


def kafka_ready(port: int, timeout: float = 2.0) -> bool:
    """True when the broker on `port` answers a Metadata request listing itself.

    Why a raw Metadata request rather than `TopicCommand --list`: each
    TopicCommand is a new JVM (1-2 s of CPU on these 2-core machines, competing
    with the starting broker), whereas this takes milliseconds and needs no
    client library. Why Metadata rather than a bare TCP connect: it proves the
    process on the port is a Kafka broker (not something else holding the
    port), and the broker lists itself only once it has registered with the
    controller and caught up with the metadata log, i.e. when clients can use it.
    Metadata v1 (Kafka 4.1 accepts v0-v13) is the oldest version that accepts
    an empty topic list, so the answer stays small.
    """
    correlation_id = 0x5ACC
    client_id = b"stack.py"
    # Request header v1: api_key=3 (Metadata), api_version=1, correlation id, client id;
    # body: topics = [] (int32 count 0).
    request = struct.pack(">hhih", 3, 1, correlation_id, len(client_id)) + client_id + struct.pack(">i", 0)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(struct.pack(">i", len(request)) + request)
            (size,) = struct.unpack(">i", _recv_exact(sock, 4))
            body = _recv_exact(sock, size)
    except (OSError, struct.error):
        return False
    try:
        # Response v1: correlation id, brokers [node_id, host, port, rack], controller_id, topics.
        got_id, n_brokers = struct.unpack_from(">ii", body, 0)
        offset = 8
        ports = []
        for _ in range(n_brokers):
            _node_id, host_len = struct.unpack_from(">ih", body, offset)
            offset += 6 + host_len
            (broker_port, rack_len) = struct.unpack_from(">ih", body, offset)
            offset += 6 + max(rack_len, 0)
            ports.append(broker_port)
    except struct.error:
        return False
    return got_id == correlation_id and port in ports


def ferretdb_ready(mongo_port: int, debug_port: int, timeout: float = 2.0) -> bool:
    """True when FerretDB's /debug/readyz answers 200 and its MongoDB port accepts connections.

    In v1.24.2 the debug server comes up first and /debug/readyz answers 500
    until the MongoDB listener is listening, then 200 with an empty body (its
    extra `ping` runs only with --setup-database, which we do not use). The
    TCP connect to the MongoDB port is a cheap second check, and the whole
    check if the debug endpoint cannot be reached at all.
    """
    url = f"http://127.0.0.1:{debug_port}/debug/readyz"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            if resp.status != 200:
                return False
    except urllib.error.HTTPError:
        return False  # the debug server answers, FerretDB says "not ready"
    except OSError:
        pass  # no debug server: fall back to the TCP check alone
    return tcp_open(mongo_port, timeout)


def http_ok(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False
