"""A local webhook sink that de-duplicates by idempotency key, with seeded failure injection.

Used by the tests, the benchmark, and `botfolio notifications sink` to smoke-test a deployment's
webhook delivery. Never expose it: it keeps every body it accepts in memory.
"""

from __future__ import annotations

import argparse
import json
import random
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from botfolio.notifications.senders import IDEMPOTENCY_HEADER


@dataclass
class SinkState:
    fail_rate: float = 0.0
    rng: random.Random = field(default_factory=lambda: random.Random(0))  # noqa: S311
    lock: threading.Lock = field(default_factory=threading.Lock)
    deliveries: dict[str, int] = field(default_factory=dict)
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)
    posts: int = 0
    failed: int = 0

    def accept(self, key: str, body: dict[str, Any]) -> bool:
        """Count a POST; False means "answer 500" (the injected failure)."""
        with self.lock:
            self.posts += 1
            if self.fail_rate and self.rng.random() < self.fail_rate:
                self.failed += 1
                return False
            self.deliveries[key] = self.deliveries.get(key, 0) + 1
            self.bodies.setdefault(key, body)
            return True

    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {
                "posts": self.posts,
                "failed": self.failed,
                "unique": len(self.deliveries),
                "duplicates": sum(n - 1 for n in self.deliveries.values()),
                "keys": sorted(self.deliveries),
            }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state: SinkState

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        key = self.headers.get(IDEMPOTENCY_HEADER, "")
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        ok = bool(key) and self.server_state().accept(key, body)
        self._reply(200 if ok else 500, {"ok": ok})

    def do_GET(self) -> None:
        self._reply(200, self.server_state().stats())

    def server_state(self) -> SinkState:
        state: SinkState = self.server.state  # type: ignore[attr-defined]
        return state

    def _reply(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        return


class WebhookSink(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1", port: int = 0, state: SinkState | None = None):
        super().__init__((host, port), _Handler)
        self.state = state or SinkState()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/hook"

    def start_in_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="webhook-sink", daemon=True)
        thread.start()
        return thread


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--fail-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    state = SinkState(fail_rate=args.fail_rate, rng=random.Random(args.seed))  # noqa: S311
    sink = WebhookSink(port=args.port, state=state)
    print(f"listening {sink.url}", flush=True)
    sink.serve_forever()


if __name__ == "__main__":
    main()
