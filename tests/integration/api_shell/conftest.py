"""An app with a few test-only routes (a DB read, a templated path, a strict body, a crash), an
HTTP client over ASGI, JSON logs captured in memory, and a TCP proxy that can cut the database."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import StreamingResponse
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from botfolio.api.app import create_app
from botfolio.api.dependencies import get_session
from botfolio.api.schemas import StrictModel
from botfolio.auth.dependencies import public
from botfolio.logs import configure_logging
from botfolio.runtime import Runtime

STREAM_CHUNKS = 500


class CreateWidget(StrictModel):
    name: str
    size: int


def extra_routes() -> APIRouter:
    router = APIRouter(prefix="/test", dependencies=[Depends(public)])

    @router.get("/db")
    async def read_db(session: AsyncSession = Depends(get_session)) -> dict[str, int]:  # noqa: B008
        return {"one": (await session.execute(text("SELECT 1"))).scalar_one()}

    @router.get("/items/{item_id}")
    async def read_item(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    @router.post("/widgets", status_code=201)
    async def create_widget(widget: CreateWidget) -> dict[str, str | int]:
        return {"name": widget.name, "size": widget.size}

    @router.get("/stream")
    async def stream() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for number in range(STREAM_CHUNKS):
                yield f"chunk {number}\n".encode()

        return StreamingResponse(chunks(), media_type="text/plain")

    @router.get("/crash")
    async def crash() -> None:
        raise RuntimeError("secret internals that must not leak")

    return router


def app_with_test_routes(runtime: Runtime) -> FastAPI:
    app = create_app(runtime)
    app.include_router(extra_routes())
    return app


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app_with_test_routes(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """Every log line of the test, rendered as production renders it (JSON), in memory."""
    stream = io.StringIO()
    root = logging.getLogger()
    before = list(root.handlers)
    configure_logging("INFO", json_output=True, stream=stream)
    yield stream
    for handler in root.handlers:
        if handler not in before:
            root.removeHandler(handler)


class TcpProxy:
    """Forwards a loopback port to the database; `stop()` cuts every connection like an outage."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._pumps: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        for pump in list(self._pumps):
            pump.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)
        self._writers.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            pump = asyncio.create_task(self._pump(source, sink))
            self._pumps.add(pump)
            pump.add_done_callback(self._pumps.discard)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                sink.close()
            self._writers.discard(sink)


@pytest.fixture
def app_factory() -> type[AppFactory]:
    return AppFactory


class AppFactory:
    """Lets a test build the app with the test-only routes on a runtime of its own."""

    @staticmethod
    def build(runtime: Runtime) -> FastAPI:
        return app_with_test_routes(runtime)

    @staticmethod
    @contextlib.asynccontextmanager
    async def client(
        runtime: Runtime, base_url: str = "http://testserver"
    ) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=app_with_test_routes(runtime))
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as http:
            yield http


@pytest.fixture
def tcp_proxy_class() -> type[TcpProxy]:
    return TcpProxy


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """In-process CLI runs: no inherited BOTFOLIO_* variables, fresh settings, and the root log
    handlers put back (a command configures logging onto the runner's stderr)."""
    import logging
    import os

    from botfolio.config import get_settings

    for name in [n for n in os.environ if n.startswith("BOTFOLIO_")]:
        monkeypatch.delenv(name)
    root = logging.getLogger()
    before = list(root.handlers)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()
    for handler in [h for h in root.handlers if h not in before]:
        root.removeHandler(handler)
