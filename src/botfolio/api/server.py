"""Serving the API with uvicorn: TLS, and refusing plain HTTP where it would leave the machine."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from botfolio.config import ApiSettings
from botfolio.errors import ConfigurationError

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


@dataclass(frozen=True)
class ServeOptions:
    host: str
    port: int
    tls_cert: Path | None = None
    tls_key: Path | None = None
    allow_insecure_http: bool = False

    @classmethod
    def from_settings(cls, api: ApiSettings) -> ServeOptions:
        return cls(
            host=api.host,
            port=api.port,
            tls_cert=api.tls_cert,
            tls_key=api.tls_key,
            allow_insecure_http=api.allow_insecure_http,
        )

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None and self.tls_key is not None

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name that may resolve anywhere: treat it as public


def check_transport_security(options: ServeOptions) -> None:
    """Traffic must be encrypted (TLS) once it leaves the machine; raise with what to do instead."""
    if (options.tls_cert is None) != (options.tls_key is None):
        raise ConfigurationError("TLS needs both --tls-cert and --tls-key")
    for label, path in (("certificate", options.tls_cert), ("key", options.tls_key)):
        if path is not None and not path.is_file():
            raise ConfigurationError(f"the TLS {label} file {path} does not exist")
    if options.tls or options.allow_insecure_http or is_loopback(options.host):
        return
    raise ConfigurationError(
        f"refusing to serve plain HTTP on {options.host}, which is not a loopback address: "
        "pass --tls-cert and --tls-key, or --allow-insecure-http (BOTFOLIO_API__ALLOW_INSECURE_HTTP"
        "=true) when a TLS-terminating proxy in front of this process does the encryption"
    )


def build_server(app: FastAPI, options: ServeOptions) -> uvicorn.Server:
    """Uvicorn's own access log is off: ours (`http.request`) has the request id, no query."""
    config = uvicorn.Config(
        app,
        host=options.host,
        port=options.port,
        ssl_certfile=str(options.tls_cert) if options.tls_cert else None,
        ssl_keyfile=str(options.tls_key) if options.tls_key else None,
        log_config=None,
        access_log=False,
        server_header=False,
        proxy_headers=True,
        lifespan="on",
    )
    return uvicorn.Server(config)
