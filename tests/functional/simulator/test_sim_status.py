"""StatusPing, gwinfo and the HTTP/1.1 wire behaviour (keep-alive, Content-Length, HEAD)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import BinaryIO

import httpx

from igtk_tui.simulator import SimulatedGateway
from igtk_tui.simulator.testing import client as sim_client
from igtk_tui.simulator.testing import http


def _gwinfo(url: str) -> dict[str, str]:
    response = http.get(f"{url}/system/gwinfo")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert text.endswith(";") and "\n" not in text
    return dict(pair.split("=", 1) for pair in text.rstrip(";").split(";"))


def test_status_ping_running_without_auth(gw: SimulatedGateway) -> None:
    response = http.get(f"{gw.url}/StatusPing")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"state": "RUNNING"}
    assert http.get(f"{gw.url}/system/StatusPing").json() == {"state": "RUNNING"}


def test_gwinfo_keys_and_versions(gw: SimulatedGateway, gw81: SimulatedGateway) -> None:
    info = _gwinfo(gw.url)
    for key in (
        "ContextStatus",
        "PlatformName",
        "Version",
        "PlatformEdition",
        "OS",
        "RuntimeVersion",
        "RedundancyStatus",
        "RedundantState",
        "RedundantNodeActiveStatus",
        "RequireSsl",
        "RedundantBackupAddresses",
    ):
        assert key in info
    assert info["ContextStatus"] == "RUNNING"
    assert info["Version"] == "8.3.6"
    assert info["PlatformEdition"] == ""
    assert info["RedundancyStatus"] == "Independent"
    assert _gwinfo(gw81.url)["Version"] == "8.1.44"


def _read_response(sock_file: BinaryIO) -> tuple[int, dict[str, str], bytes]:
    status_line = sock_file.readline().decode()
    status = int(status_line.split()[1])
    headers: dict[str, str] = {}
    while line := sock_file.readline().decode().strip():
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = sock_file.read(int(headers["content-length"]))
    return status, headers, body


def test_keep_alive_two_requests_one_socket(gw: SimulatedGateway) -> None:
    with socket.create_connection((gw.host, gw.port), timeout=5) as sock, sock.makefile("rb") as reader:
        for _ in range(2):
            sock.sendall(b"GET /StatusPing HTTP/1.1\r\nHost: x\r\n\r\n")
            status, headers, body = _read_response(reader)
            assert status == 200
            assert body == b'{"state":"RUNNING"}'
            assert headers.get("connection", "keep-alive").lower() != "close"
        # an error page on the same connection still has an exact Content-Length
        sock.sendall(b"GET /data/api/v1/overview HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\n\r\n")
        status, headers, body = _read_response(reader)
        assert status == 401 and body.startswith(b"HTTP ERROR 401")


def test_head_has_length_but_no_body(gw: SimulatedGateway) -> None:
    response = http.head(f"{gw.url}/system/gwinfo")
    assert response.status_code == 200
    assert int(response.headers["content-length"]) > 0
    assert response.content == b""


def test_chunked_request_body_is_read(gw: SimulatedGateway) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name":"Chunk'
        yield b'ed","title":"T"}'

    headers = {"X-Ignition-API-Token": gw.api_token, "Content-Type": "application/json"}
    response = http.post(f"{gw.url}/data/api/v1/projects", content=chunks(), headers=headers)
    assert response.status_code == 200, response.text
    assert "Chunked" in gw.state.projects


def test_stop_is_prompt_and_idempotent() -> None:
    gateway = SimulatedGateway().start()
    url = gateway.url
    with sim_client() as keepalive:
        assert keepalive.get(f"{url}/StatusPing").status_code == 200
        gateway.stop()
        gateway.stop()
    try:
        http.get(f"{url}/StatusPing", timeout=2)
    except httpx.ConnectError:
        pass
    else:
        raise AssertionError("the port still answers after stop()")


def test_generated_token_when_none_given() -> None:
    with SimulatedGateway() as gateway:
        name, _, secret = gateway.api_token.partition(":")
        assert name and len(secret) >= 20
        response = http.get(
            f"{gateway.url}/data/api/v1/overview", headers={"X-Ignition-API-Token": gateway.api_token}
        )
        assert response.status_code == 200
