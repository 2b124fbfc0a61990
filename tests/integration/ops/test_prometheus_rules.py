"""The shipped Prometheus rules pass `promtool check rules` and their own `promtool test rules`,
and only name metrics that our code exposes. promtool is required: `.ci/run` installs it."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

RULES = Path("deploy/prometheus/botfolio-rules.yml")
RULE_TESTS = Path("deploy/prometheus/botfolio-rules.test.yml")
SEVERITIES = {"critical", "warning", "info"}


def _promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail(
            "promtool is not installed: it comes with the Debian package `prometheus` "
            "(`apt-get install -y prometheus`; .ci/run installs it when missing)"
        )
    return path


def _run(repo_root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_promtool(), *args], cwd=repo_root, capture_output=True, text=True, timeout=120
    )


def _alerts(repo_root: Path) -> list[dict[str, object]]:
    document = yaml.safe_load((repo_root / RULES).read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"] if "alert" in rule]


def test_rules_when_checked_by_promtool_are_valid(repo_root: Path) -> None:
    result = _run(repo_root, "check", "rules", str(RULES))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_rules_when_unit_tested_by_promtool_pass(repo_root: Path) -> None:
    result = _run(repo_root, "test", "rules", str(RULE_TESTS))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_when_defined_has_a_known_severity_and_a_runbook(repo_root: Path) -> None:
    alerts = _alerts(repo_root)

    assert {rule["labels"]["severity"] for rule in alerts} == SEVERITIES  # type: ignore[index]
    for rule in alerts:
        assert rule["annotations"]["runbook"].startswith("docs/operations.md#")  # type: ignore[index]


def test_every_alert_when_defined_is_exercised_by_the_rule_tests(repo_root: Path) -> None:
    tests_text = (repo_root / RULE_TESTS).read_text(encoding="utf-8")
    tested = set(re.findall(r"alertname: (\w+)", tests_text))

    assert {str(rule["alert"]) for rule in _alerts(repo_root)} <= tested


def test_rules_when_they_name_metrics_only_name_ones_our_code_exposes(
    repo_root: Path,
    exposed_metric_names: frozenset[str],
    referenced_metric_pattern: re.Pattern[str],
) -> None:
    referenced = set(referenced_metric_pattern.findall((repo_root / RULES).read_text()))

    assert referenced
    assert referenced - exposed_metric_names == set()


def test_runbook_anchors_when_linked_exist_in_operations_guide(repo_root: Path) -> None:
    guide = (repo_root / "docs" / "operations.md").read_text(encoding="utf-8")
    anchors = {_anchor(line) for line in guide.splitlines() if line.startswith("#")}

    for rule in _alerts(repo_root):
        target = str(rule["annotations"]["runbook"]).partition("#")[2]  # type: ignore[index]
        assert target in anchors, f"{rule['alert']}: docs/operations.md has no #{target}"


def _anchor(heading: str) -> str:
    """GitHub's anchor for a Markdown heading."""
    text = heading.lstrip("#").strip().lower()
    return re.sub(r"[^a-z0-9 _-]", "", text).replace(" ", "-")
