"""The shipped Grafana dashboard is importable JSON whose panels query metrics our code exposes.

No Grafana server is available to load it, so its structure is checked here instead.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

DASHBOARD = Path("deploy/grafana/botfolio-overview.json")
REQUIRED_SECTIONS = {"traffic", "error", "latency", "database", "job"}
PANEL_TYPES = {"row", "timeseries", "stat", "table"}


@pytest.fixture(scope="module")
def dashboard(repo_root: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((repo_root / DASHBOARD).read_text(encoding="utf-8"))
    return loaded


def _data_panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [panel for panel in dashboard["panels"] if panel["type"] != "row"]


def test_dashboard_when_loaded_has_identity_and_schema(dashboard: dict[str, Any]) -> None:
    assert dashboard["uid"] == "botfolio-overview"
    assert dashboard["title"]
    assert isinstance(dashboard["schemaVersion"], int)
    assert dashboard["__inputs"][0]["pluginId"] == "prometheus"


def test_panels_when_listed_have_unique_ids_known_types_and_fit_the_grid(
    dashboard: dict[str, Any],
) -> None:
    ids = [panel["id"] for panel in dashboard["panels"]]

    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["type"] in PANEL_TYPES
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24
        assert grid["h"] > 0


def test_data_panels_when_listed_each_query_prometheus(dashboard: dict[str, Any]) -> None:
    for panel in _data_panels(dashboard):
        assert panel["targets"], panel["title"]
        ref_ids = [target["refId"] for target in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids))
        for target in panel["targets"]:
            assert target["datasource"]["type"] == "prometheus"
            assert target["expr"].count("(") == target["expr"].count(")"), target["expr"]


def test_dashboard_when_read_covers_traffic_errors_latency_database_and_jobs(
    dashboard: dict[str, Any],
) -> None:
    titles = " ".join(panel["title"].lower() for panel in dashboard["panels"])

    assert {section for section in REQUIRED_SECTIONS if section in titles} == REQUIRED_SECTIONS


def test_panel_queries_when_they_name_metrics_only_name_ones_our_code_exposes(
    dashboard: dict[str, Any],
    exposed_metric_names: frozenset[str],
    referenced_metric_pattern: re.Pattern[str],
) -> None:
    referenced = {
        name
        for panel in _data_panels(dashboard)
        for target in panel["targets"]
        for name in referenced_metric_pattern.findall(target["expr"])
    }

    assert {"botfolio_http_requests_total", "botfolio_jobs_queue_depth"} <= referenced
    assert referenced - exposed_metric_names == set()
