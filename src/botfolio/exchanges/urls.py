"""Pointing a CCXT client at another base URL (our simulator) while keeping every API path."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit


def point_at(exchange: Any, base_url: str) -> None:
    """Rewrite every URL in `exchange.urls['api']` to `base_url` + its original path."""
    base = base_url.rstrip("/")
    exchange.urls["api"] = _rewrite(exchange.urls["api"], base)


def _rewrite(node: Any, base: str) -> Any:
    if isinstance(node, str):
        parts = urlsplit(node.replace("{hostname}", "placeholder.invalid"))
        return base + parts.path.rstrip("/")
    if isinstance(node, dict):
        return {key: _rewrite(value, base) for key, value in node.items()}
    return node
