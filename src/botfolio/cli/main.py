"""Entry point: `botfolio <group> <command>`; every role and admin task is a sub-command.

`botfolio <command>` imports only the module of that command (the full set pulls in CCXT,
FastAPI, LightGBM and the rest: ~0.3 s more before a short command can start); `botfolio`,
`--help` or an unknown name build the whole app, so help and errors list everything. `app`
(the whole app, for tests and `CliRunner`) is built on first access.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from typing import Any

import typer

from botfolio import __version__

# (module, group name or None for top-level commands registered by the module itself, help)
COMMAND_MODULES: tuple[tuple[str, str | None, str], ...] = (
    ("botfolio.cli.config_cmd", "config", "Show the effective settings (secrets redacted)."),
    ("botfolio.cli.db_cmd", "db", "Database schema: upgrade, current revision."),
    ("botfolio.cli.users_cmd", "users", "Create and manage users and their roles."),
    ("botfolio.cli.audit_cmd", "audit", "Verify the audit chain; apply retention."),
    ("botfolio.cli.keys_cmd", "keys", "Field-encryption keys: status and rotation."),
    ("botfolio.cli.jobs_cmd", "jobs", "Inspect durable jobs and the dead-letter queue."),
    (
        "botfolio.cli.exchanges_cmd",
        "exchanges",
        "Linked exchange accounts and the failure history.",
    ),
    (
        "botfolio.cli.notifications_cmd",
        "notifications",
        "User notifications: failures, retry, diagnose.",
    ),
    ("botfolio.cli.alerts_cmd", "alerts", "Operator alerts: list, acknowledge, resolve, on-call."),
    ("botfolio.cli.backtest_cmd", None, "Backtests on history with the bots' own code."),
    ("botfolio.cli.trading_cmd", "trading", "Kill switch: halt, reduce, resume trading."),
    ("botfolio.cli.data_cmd", "data", "Market data: import, fetch, quality checks."),
    ("botfolio.cli.model_cmd", "model", "Prediction models: train, list, promote, roll back."),
    ("botfolio.cli.simulator_cmd", None, "The local exchange simulator."),
    ("botfolio.cli.predictor_cmd", None, "The prediction engine role (POST /v1/predict)."),
    ("botfolio.cli.workers_cmd", None, "Run the worker and scheduler roles."),
    ("botfolio.cli.roles_cmd", None, "Run the API and the demo."),
)


# The top-level commands that the group-less modules above register (a test keeps them in step).
TOP_LEVEL_COMMANDS: dict[str, str] = {
    "backtest": "botfolio.cli.backtest_cmd",
    "simulator": "botfolio.cli.simulator_cmd",
    "predictor": "botfolio.cli.predictor_cmd",
    "worker": "botfolio.cli.workers_cmd",
    "scheduler": "botfolio.cli.workers_cmd",
    "api": "botfolio.cli.roles_cmd",
    "demo": "botfolio.cli.roles_cmd",
}


def _root() -> None:
    """BotFolio command line."""


def version() -> None:
    """Print the BotFolio version."""
    typer.echo(__version__)


def build_app(modules: Sequence[tuple[str, str | None, str]] = COMMAND_MODULES) -> typer.Typer:
    """The `botfolio` app with the commands of `modules` (all of them by default)."""
    built = typer.Typer(
        name="botfolio",
        help="BotFolio: multi-user AI portfolio trading bots you can operate in production.",
        no_args_is_help=True,
        rich_markup_mode="rich",
    )
    built.callback()(_root)
    built.command()(version)
    for module_name, group, help_text in modules:
        sub: typer.Typer = importlib.import_module(module_name).app
        if group is None:
            built.registered_commands.extend(sub.registered_commands)
        else:
            built.add_typer(sub, name=group, help=help_text)
    return built


def modules_for(args: Sequence[str]) -> tuple[tuple[str, str | None, str], ...]:
    """The command modules needed to run `botfolio ARGS`: one for a known command, else all."""
    if not args or args[0].startswith("-"):  # no command, or root options such as --help
        return COMMAND_MODULES
    name = args[0]
    if name == "version":
        return ()
    by_group = tuple(entry for entry in COMMAND_MODULES if entry[1] == name)
    if by_group:
        return by_group
    module = TOP_LEVEL_COMMANDS.get(name)
    if module is None:  # unknown: the whole app says so and lists what exists
        return COMMAND_MODULES
    return tuple(entry for entry in COMMAND_MODULES if entry[0] == module)


def __getattr__(name: str) -> Any:
    if name == "app":
        globals()["app"] = whole = build_app()
        return whole
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    build_app(modules_for(sys.argv[1:]))()
