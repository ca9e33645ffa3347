"""Readiness probes: when is a server or a service ready for clients? Stdlib only, no client libraries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
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


def _kafka_request(sock: socket.socket, api_key: int, api_version: int, body: bytes) -> bytes:
    """Send one request (header v1) and answer the response's body after its correlation id."""
    correlation_id = 0x5ACC
    client_id = b"stack.py"
    header = struct.pack(">hhih", api_key, api_version, correlation_id, len(client_id)) + client_id
    sock.sendall(struct.pack(">i", len(header + body)) + header + body)
    (size,) = struct.unpack(">i", _recv_exact(sock, 4))
    answer = _recv_exact(sock, size)
    if struct.unpack_from(">i", answer)[0] != correlation_id:
        raise ConnectionError("not a Kafka answer")
    return answer[4:]


def _bytes_field(data: bytes) -> bytes:
    return struct.pack(">i", len(data)) + data


def _scram_login(sock: socket.socket, username: str, password: str) -> None:
    """Log in with SASL/SCRAM-SHA-512 (RFC 5802; Kafka's SaslHandshake v1, SaslAuthenticate v0).
    Raises ConnectionError when the broker refuses the login."""
    mechanism = b"SCRAM-SHA-512"
    answer = _kafka_request(sock, 17, 1, struct.pack(">h", len(mechanism)) + mechanism)
    if struct.unpack_from(">h", answer)[0] != 0:
        raise ConnectionError("the broker does not offer SCRAM-SHA-512")

    def authenticate(message: bytes) -> bytes:
        answer = _kafka_request(sock, 36, 0, _bytes_field(message))
        error, text_length = struct.unpack_from(">hh", answer)
        offset = 4 + max(text_length, 0)
        if error:
            raise ConnectionError(f"login refused: {answer[4:offset].decode(errors='replace')}")
        (length,) = struct.unpack_from(">i", answer, offset)
        return answer[offset + 4 : offset + 4 + length]

    nonce = base64.b64encode(secrets.token_bytes(18)).decode()
    first_bare = f"n={username},r={nonce}"
    server_first = authenticate(f"n,,{first_bare}".encode()).decode()
    fields = dict(item.split("=", 1) for item in server_first.split(","))
    if not fields["r"].startswith(nonce):
        raise ConnectionError("the broker's SCRAM nonce does not extend ours")
    salted = hashlib.pbkdf2_hmac("sha512", password.encode(), base64.b64decode(fields["s"]), int(fields["i"]))
    client_key = hmac.digest(salted, b"Client Key", "sha512")
    final_bare = f"c=biws,r={fields['r']}"
    auth_message = f"{first_bare},{server_first},{final_bare}".encode()
    signature = hmac.digest(hashlib.sha512(client_key).digest(), auth_message, "sha512")
    proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, signature, strict=True))).decode()
    server_final = authenticate(f"{final_bare},p={proof}".encode()).decode()
    server_key = hmac.digest(salted, b"Server Key", "sha512")
    expected = base64.b64encode(hmac.digest(server_key, auth_message, "sha512")).decode()
    if server_final != f"v={expected}":
        raise ConnectionError("the broker did not prove that it knows the credential")


def kafka_ready(port: int, login: tuple[str, str] | None = None, timeout: float = 2.0) -> bool:
    """True when the broker on `port` answers a Metadata request listing itself; with `login`
    (name, password) it logs in with SASL/SCRAM first, as the listener then requires.

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
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            if login is not None:
                _scram_login(sock, *login)
            # Metadata (api key 3) v1; body: topics = [] (int32 count 0).
            body = _kafka_request(sock, 3, 1, struct.pack(">i", 0))
    except (OSError, struct.error, KeyError, ValueError):
        return False
    try:
        # Response v1 after the correlation id: brokers [node_id, host, port, rack], controller_id, topics.
        (n_brokers,) = struct.unpack_from(">i", body, 0)
        offset = 4
        ports = []
        for _ in range(n_brokers):
            _node_id, host_len = struct.unpack_from(">ih", body, offset)
            offset += 6 + host_len
            (broker_port, rack_len) = struct.unpack_from(">ih", body, offset)
            offset += 6 + max(rack_len, 0)
            ports.append(broker_port)
    except struct.error:
        return False
    return port in ports


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
