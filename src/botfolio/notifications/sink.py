"""A local webhook sink that de-duplicates by idempotency key, with seeded failure injection.

Used by the tests, the benchmark, and `python -m botfolio.notifications.sink` to smoke-test a
deployment's webhook delivery. A minimal asyncio HTTP/1.1 server (keep-alive, Content-Length
bodies only): light enough that a benchmark measures the sender, not the sink. Never expose it:
it keeps every body it accepts in memory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import threading
from dataclasses import dataclass, field
from typing import Any

from botfolio.notifications.senders import IDEMPOTENCY_HEADER

HEADER_LIMIT = 64 * 1024
_KEY_HEADER = IDEMPOTENCY_HEADER.lower()


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


def _response(status: int, payload: dict[str, Any]) -> bytes:
    data = json.dumps(payload).encode()
    reason = "OK" if status == 200 else "Internal Server Error"
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    )
    return head.encode() + data


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, dict[str, str], bytes] | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method = lines[0].split(" ", 1)[0]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return method, headers, body


def _answer(state: SinkState, method: str, headers: dict[str, str], body: bytes) -> bytes:
    if method != "POST":
        return _response(200, state.stats())
    key = headers.get(_KEY_HEADER, "")
    try:
        parsed = json.loads(body or b"{}")
    except ValueError:
        parsed = {}
    ok = bool(key) and state.accept(key, parsed)
    return _response(200 if ok else 500, {"ok": ok})


class WebhookSink:
    """Serves in a background thread (tests) or in the foreground (`main`)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, state: SinkState | None = None):
        self.host = host
        self.port = port
        self.state = state or SinkState()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hook"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while (request := await _read_request(reader)) is not None:
                writer.write(_answer(self.state, *request))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._handle, self.host, self.port, backlog=1024, limit=HEADER_LIMIT
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def serve(self) -> None:
        await self.start()
        assert self._server is not None  # noqa: S101
        print(f"listening {self.url}", flush=True)
        await self._server.serve_forever()

    def start_in_thread(self) -> threading.Thread:
        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self.start())
            self._ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="webhook-sink", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        return self._thread

    def shutdown(self) -> None:
        if self._loop is None or self._server is None:
            return
        self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(5)

    def server_close(self) -> None:
        """Kept for symmetry with socketserver users; `shutdown` already closed everything."""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--fail-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    state = SinkState(fail_rate=args.fail_rate, rng=random.Random(args.seed))  # noqa: S311
    asyncio.run(WebhookSink(port=args.port, state=state).serve())


if __name__ == "__main__":
    main()
