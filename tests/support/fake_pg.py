"""A tiny stand-in PostgreSQL server that asks for a password and rejects it, like a real one."""

from __future__ import annotations

import socket
import struct
import threading


def _error_response(message: str) -> bytes:
    fields = b"".join(
        code + value.encode() + b"\0"
        for code, value in ((b"S", "FATAL"), (b"V", "FATAL"), (b"C", "28P01"), (b"M", message))
    )
    body = fields + b"\0"
    return b"E" + struct.pack("!I", len(body) + 4) + body


class RejectingServer:
    """Listens on 127.0.0.1; every client is asked for a password and refused."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.received_passwords: list[bytes] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _read_exact(self, conn: socket.socket, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = conn.recv(n - len(data))
            if not chunk:
                raise ConnectionError
            data += chunk
        return data

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                try:
                    self._handle(conn)
                except (ConnectionError, OSError):
                    pass

    def _handle(self, conn: socket.socket) -> None:
        length = struct.unpack("!I", self._read_exact(conn, 4))[0]
        payload = self._read_exact(conn, length - 4)
        if struct.unpack("!I", payload[:4])[0] in (80877103, 80877104):  # SSL / GSS request
            conn.sendall(b"N")
            length = struct.unpack("!I", self._read_exact(conn, 4))[0]
            payload = self._read_exact(conn, length - 4)
        params = payload[4:].split(b"\0")
        user = params[params.index(b"user") + 1].decode() if b"user" in params else "?"
        conn.sendall(b"R" + struct.pack("!II", 8, 3))  # cleartext password, please
        kind = self._read_exact(conn, 1)
        length = struct.unpack("!I", self._read_exact(conn, 4))[0]
        password = self._read_exact(conn, length - 4)
        if kind == b"p":
            self.received_passwords.append(password.rstrip(b"\0"))
        conn.sendall(_error_response(f'password authentication failed for user "{user}"'))

    def close(self) -> None:
        self.sock.close()
