"""`botfolio api` as a real subprocess: HTTPS with a self-signed certificate, and the refusal to
serve plain HTTP on a public address."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from typer.testing import CliRunner

from botfolio.cli.main import app

BOTFOLIO = str(Path(sys.executable).with_name("botfolio"))
STARTUP_LIMIT_SECONDS = 180.0  # the CLI imports every domain; slow on a busy 2-core box


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOTFOLIO_")}
    env.update(
        BOTFOLIO_DATABASE__URL=f"sqlite+aiosqlite:///{tmp_path / 'api.db'}",
        BOTFOLIO_DATA_DIR=str(tmp_path),
    )
    return env


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    cert_file, key_file = _self_signed(tmp_path)
    port = _free_port()
    process = subprocess.Popen(
        [
            BOTFOLIO,
            "api",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--migrate",
            "--tls-cert",
            str(cert_file),
            "--tls-key",
            str(key_file),
        ],
        env=_env(tmp_path),
        cwd=tmp_path,  # the development key ring is created under ./var
        stdout=(tmp_path / "api.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        yield f"https://127.0.0.1:{port}", cert_file
    finally:
        process.terminate()
        process.wait(timeout=15)


def _wait_until_serving(client: httpx.Client, url: str) -> httpx.Response:
    deadline = time.monotonic() + STARTUP_LIMIT_SECONDS
    while True:
        try:
            return client.get(url)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.slow
def test_api_role_when_given_cert_and_key_serves_https_with_hsts(
    tls_server: tuple[str, Path],
) -> None:
    base_url, cert_file = tls_server
    context = ssl.create_default_context(cafile=str(cert_file))

    with httpx.Client(verify=context) as client:
        health = _wait_until_serving(client, f"{base_url}/healthz")
        ready = client.get(f"{base_url}/readyz")

    assert health.status_code == 200
    assert health.json() == {"status": "alive"}
    assert health.headers["strict-transport-security"].startswith("max-age=")
    assert ready.status_code == 200


def test_api_role_when_public_host_without_tls_exits_nonzero_with_reason(
    cli_env: pytest.MonkeyPatch,
) -> None:
    result = CliRunner().invoke(
        app,
        ["api", "--host", "0.0.0.0", "--port", str(_free_port())],  # noqa: S104
        terminal_width=300,
    )

    message = " ".join(result.output.split())
    assert result.exit_code == 2
    assert "refusing to serve plain HTTP on 0.0.0.0" in message
    assert "--tls-cert" in message
