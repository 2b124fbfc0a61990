"""`botfolio <command>` loads only that command's module; the whole app still lists everything."""

from __future__ import annotations

import importlib

import pytest
import typer.main
from typer.testing import CliRunner

from botfolio.cli import main as cli


def _names(app: typer.Typer) -> set[str]:
    group = typer.main.get_command(app)
    assert isinstance(group, typer.main.TyperGroup)
    return set(group.commands)


def test_top_level_table_when_compared_with_modules_names_every_command() -> None:
    registered = {}
    for module_name, group, _help in cli.COMMAND_MODULES:
        if group is None:
            for command in importlib.import_module(module_name).app.registered_commands:
                name = command.name or typer.main.get_command_name(command.callback.__name__)  # type: ignore[union-attr]
                registered[name] = module_name

    assert registered == cli.TOP_LEVEL_COMMANDS


@pytest.mark.parametrize(
    ("args", "modules"),
    [
        (["backtest", "--help"], ["botfolio.cli.backtest_cmd"]),
        (["worker"], ["botfolio.cli.workers_cmd"]),
        (["db", "upgrade"], ["botfolio.cli.db_cmd"]),
        (["version"], []),
    ],
)
def test_modules_for_when_command_known_loads_only_its_module(
    args: list[str], modules: list[str]
) -> None:
    assert [entry[0] for entry in cli.modules_for(args)] == modules


@pytest.mark.parametrize("args", [[], ["--help"], ["no-such-command"], ["--help", "db"]])
def test_modules_for_when_no_or_unknown_command_loads_all(args: list[str]) -> None:
    assert cli.modules_for(args) == cli.COMMAND_MODULES


def test_build_app_when_one_module_runs_its_command_and_whole_app_lists_all() -> None:
    lazy = cli.build_app(cli.modules_for(["backtest"]))
    result = CliRunner().invoke(lazy, ["backtest", "--help"])

    assert result.exit_code == 0, result.output
    assert "backtest" in result.output
    assert _names(lazy) == {"backtest", "version"}
    assert _names(cli.app) == {
        *(group for _m, group, _h in cli.COMMAND_MODULES if group is not None),
        *cli.TOP_LEVEL_COMMANDS,
        "version",
    }
