"""A PNG chart of equity (with buy-and-hold) above drawdown, drawn with numpy alone.

No plotting library is a dependency, so this rasterises polylines into an RGB array and encodes
it as PNG with zlib and struct. Plain on purpose: two panels, light grid lines, no text.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from botfolio.backtest.metrics import drawdown

WIDTH, HEIGHT, MARGIN = 1000, 600, 20
EQUITY_PANEL = (MARGIN, 380)  # top, bottom rows of the equity panel
DRAWDOWN_PANEL = (410, HEIGHT - MARGIN)
STRATEGY_COLOUR = (31, 119, 180)
BENCHMARK_COLOUR = (160, 160, 160)
DRAWDOWN_COLOUR = (214, 39, 40)
GRID_COLOUR = (225, 225, 225)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

Colour = tuple[int, int, int]


def render_chart(equity: np.ndarray, benchmark: np.ndarray) -> np.ndarray:
    """An HEIGHT x WIDTH x 3 uint8 image of both curves and the strategy's drawdown."""
    image = np.full((HEIGHT, WIDTH, 3), 255, dtype=np.uint8)
    _grid(image, EQUITY_PANEL)
    _grid(image, DRAWDOWN_PANEL)
    low = float(min(np.nanmin(equity), np.nanmin(benchmark)))
    high = float(max(np.nanmax(equity), np.nanmax(benchmark)))
    _plot(image, benchmark, EQUITY_PANEL, (low, high), BENCHMARK_COLOUR)
    _plot(image, equity, EQUITY_PANEL, (low, high), STRATEGY_COLOUR)
    falls = drawdown(equity)
    _plot(image, falls, DRAWDOWN_PANEL, (float(falls.min()), 0.0), DRAWDOWN_COLOUR)
    return image


def _grid(image: np.ndarray, panel: tuple[int, int]) -> None:
    top, bottom = panel
    for row in np.linspace(top, bottom, 5).astype(int):
        image[row, MARGIN : WIDTH - MARGIN] = GRID_COLOUR
    image[top : bottom + 1, MARGIN] = GRID_COLOUR


def _plot(
    image: np.ndarray,
    values: np.ndarray,
    panel: tuple[int, int],
    span: tuple[float, float],
    colour: Colour,
) -> None:
    """One column per x pixel: a vertical stroke from the previous point's row to this one's."""
    top, bottom = panel
    low, high = span
    if values.size == 0:
        return
    scale = (high - low) or 1.0
    columns = np.linspace(MARGIN, WIDTH - MARGIN - 1, values.size).astype(int)
    rows = bottom - (np.nan_to_num(values, nan=low) - low) / scale * (bottom - top)
    rows = np.clip(rows.round().astype(int), top, bottom)
    previous = rows[0]
    for column, row in zip(columns.tolist(), rows.tolist(), strict=True):
        first, last = sorted((previous, row))
        image[first : last + 1, column] = colour
        previous = row


def encode_png(image: np.ndarray) -> bytes:
    """8-bit RGB PNG: filter byte 0 on every row, one zlib stream, CRC on each chunk."""
    height, width, _ = image.shape
    raw = np.concatenate([np.zeros((height, 1), dtype=np.uint8), image.reshape(height, -1)], 1)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join(
        (
            PNG_SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(raw.tobytes(), 6)),
            _chunk(b"IEND", b""),
        )
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def write_chart(equity: Sequence[float] | np.ndarray, benchmark: np.ndarray, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    curve = np.asarray(equity, dtype=np.float64)
    path.write_bytes(encode_png(render_chart(curve, np.asarray(benchmark, dtype=np.float64))))
