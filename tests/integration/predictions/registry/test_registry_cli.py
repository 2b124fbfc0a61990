"""`botfolio model register | list | promote | rollback | history`, in-process with Typer's runner
against the test database (each command builds its own runtime, as in production)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from botfolio.cli.model_registry_cmd import register
from botfolio.config import get_settings
from botfolio.db.database import Database
from botfolio.predictions import registry
from botfolio.predictions.models import ModelVersion

from .conftest import Artifacts


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    monkeypatch.setenv("BOTFOLIO_DATABASE__URL", db_url)
    monkeypatch.setenv("BOTFOLIO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BOTFOLIO_SECURITY__KEYRING_FILE", str(tmp_path / "keyring.json"))
    monkeypatch.setenv("BOTFOLIO_LOG__LEVEL", "WARNING")
    monkeypatch.setenv("COLUMNS", "250")
    get_settings.cache_clear()
    app = typer.Typer()
    register(app)
    yield app
    get_settings.cache_clear()


def _versions(db_url: str) -> dict[str, ModelVersion]:
    async def _read() -> dict[str, ModelVersion]:
        db = Database(db_url)
        try:
            async with db.session() as session:
                return {v.model_key: v for v in await registry.list_versions(session)}
        finally:
            await db.dispose()

    return asyncio.run(_read())


def test_model_commands_when_gate_refuses_then_forced_then_rolled_back_record_history(
    cli: typer.Typer, db_url: str, artifacts: Artifacts
) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["register", str(artifacts.good)]).exit_code == 0
    assert runner.invoke(cli, ["register", str(artifacts.worse)]).exit_code == 0
    keys = {
        json.loads((p / "metadata.json").read_text())["model_id"]: p.name
        for p in (artifacts.good, artifacts.worse)
    }
    by_name = {keys[k]: v for k, v in _versions(db_url).items()}
    good, worse = by_name["good"].id, by_name["worse"].id

    first = runner.invoke(cli, ["promote", good, "--to", "champion"])
    refused = runner.invoke(cli, ["promote", worse, "--to", "canary"])
    unexplained = runner.invoke(cli, ["promote", worse, "--force"])
    forced = runner.invoke(
        cli, ["promote", worse, "--force", "--reason", "drill", "--actor", "op-1"]
    )
    rolled = runner.invoke(cli, ["rollback", "--reason", "drill over"])
    listing = runner.invoke(cli, ["list"])
    history = runner.invoke(cli, ["history", "--json"])

    assert first.exit_code == 0, first.output
    assert refused.exit_code == 1 and "refused by the gate" in refused.output
    assert unexplained.exit_code == 1 and "reason" in unexplained.output
    assert forced.exit_code == 0 and "(forced)" in forced.output
    assert rolled.exit_code == 0 and f"champion now: {good}" in rolled.output
    assert good in listing.output and "champion" in listing.output
    steps = [json.loads(line) for line in history.output.splitlines() if line.startswith("{")]
    assert [(s["version_id"], s["to"], s["trigger"]) for s in steps[:4]] == [
        (good, "champion", "manual"),
        (worse, "retired", "manual"),
        (worse, "champion", "promote"),
        (good, "retired", "replaced"),
    ]
    assert steps[2]["forced"] is True and steps[2]["actor_id"] == "op-1"
