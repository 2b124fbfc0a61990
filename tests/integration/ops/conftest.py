"""Where the deploy files live, and the metric names our code can expose (read from the source)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SERIES_SUFFIXES = ("", "_total", "_bucket", "_count", "_sum", "_created", "_info")
_DECLARED = re.compile(r"""["'](botfolio_[a-z0-9_]+)["']""")
REFERENCED = re.compile(r"\b(botfolio_[a-z0-9_]+)\b")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def exposed_metric_names() -> frozenset[str]:
    """Every series name a metric declared in src/botfolio can produce (counter `_total`,
    histogram `_bucket`/`_count`/`_sum`, info `_info`)."""
    names: set[str] = set()
    for source in (REPO / "src" / "botfolio").rglob("*.py"):
        for declared in _DECLARED.findall(source.read_text(encoding="utf-8")):
            base = declared.removesuffix("_total")
            names.update(base + suffix for suffix in SERIES_SUFFIXES)
    return frozenset(names)


@pytest.fixture(scope="session")
def referenced_metric_pattern() -> re.Pattern[str]:
    return REFERENCED


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
