"""The notification rules pass promtool's check and their own unit tests, name only metrics our
code exposes, and link runbooks that exist in docs/notifications.md."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

import botfolio.alerts.metrics
import botfolio.notifications.metrics  # noqa: F401 - registers the metrics checked below

ROOT = Path(__file__).resolve().parents[3]
RULES = ROOT / "deploy/prometheus/notification-rules.yml"
RULE_TESTS = ROOT / "deploy/prometheus/notification-rules.test.yml"
GUIDE = ROOT / "docs/notifications.md"
RAW_METRIC = re.compile(r"\b(botfolio_[a-z0-9_]+?)(?:_bucket|_total|_count|_sum)?\b")


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool is not installed (Debian package `prometheus`; .ci/run installs it)")
    return subprocess.run(
        [path, *args], cwd=RULES.parent, capture_output=True, text=True, timeout=120
    )


def _alerts() -> list[dict[str, object]]:
    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"] if "alert" in rule]


def test_notification_rules_when_checked_and_unit_tested_by_promtool_pass() -> None:
    checked = _promtool("check", "rules", RULES.name)
    tested = _promtool("test", "rules", RULE_TESTS.name)

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_notification_rules_when_they_name_metrics_only_name_exposed_ones() -> None:
    exposed = {metric.name for metric in REGISTRY.collect()}
    referenced = set(RAW_METRIC.findall(RULES.read_text(encoding="utf-8")))

    assert referenced
    assert referenced - exposed == set()


def test_notification_alerts_when_defined_are_tested_and_link_existing_runbooks() -> None:
    tested = set(re.findall(r"alertname: (\w+)", RULE_TESTS.read_text(encoding="utf-8")))
    anchors = {
        re.sub(r"[^a-z0-9 _-]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in GUIDE.read_text(encoding="utf-8").splitlines()
        if line.startswith("#")
    }

    for rule in _alerts():
        assert rule["alert"] in tested
        labels = rule["labels"]
        assert isinstance(labels, dict) and labels["severity"] in {"critical", "warning", "info"}
        annotations = rule["annotations"]
        assert isinstance(annotations, dict)
        assert str(annotations["runbook"]).partition("#")[2] in anchors
