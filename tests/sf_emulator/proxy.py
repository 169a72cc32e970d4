"""A minimal HTTPS proxy (HTTP CONNECT) that tunnels every host to the emulator.

simple-salesforce logs in at hard-coded https://login.salesforce.com, test.salesforce.com and
https://<mydomain>.my.salesforce.com. With HTTPS_PROXY pointing here, requests sends
``CONNECT login.salesforce.com:443``; the tunnel ends at the emulator, whose certificate names
those hosts. The TLS session stays end to end, as through a corporate proxy.
"""

from __future__ import annotations

import select
import socket
import socketserver
import threading


class _Tunnel(socketserver.BaseRequestHandler):
    server: _ProxyServer

    def handle(self) -> None:
        client: socket.socket = self.request
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(4096)
            if not chunk:
                return
            head += chunk
        line = head.split(b"\r\n", 1)[0].decode("latin-1")
        method, target, _ = (line.split(" ") + ["", ""])[:3]
        if method != "CONNECT":
            client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        with self.server.lock:
            self.server.tunnels.append(target)
        upstream = socket.create_connection(("127.0.0.1", self.server.target_port))
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        socks = [client, upstream]
        try:
            while True:
                readable, _, _ = select.select(socks, [], [], 60)
                if not readable:
                    return
                for s in readable:
                    data = s.recv(65536)
                    if not data:
                        return
                    (upstream if s is client else client).sendall(data)
        except OSError:
            return
        finally:
            upstream.close()


class _ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.tunnels: list[str] = []
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Tunnel)


class ConnectProxy:
    def __init__(self, target_port: int):
        self.server = _ProxyServer(target_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def tunnels(self) -> list[str]:
        return list(self.server.tunnels)

    def start(self) -> ConnectProxy:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
