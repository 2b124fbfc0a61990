"""Entry point: `botfolio <group> <command>`; every role and admin task is a sub-command."""

from __future__ import annotations

import importlib

import typer

from botfolio import __version__

app = typer.Typer(
    name="botfolio",
    help="BotFolio: multi-user AI portfolio trading bots you can operate in production.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

# (module, group name or None for top-level commands registered by the module itself)
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


@app.callback()
def _root() -> None:
    """BotFolio command line."""


@app.command()
def version() -> None:
    """Print the BotFolio version."""
    typer.echo(__version__)


def _register() -> None:
    for module_name, group, help_text in COMMAND_MODULES:
        module = importlib.import_module(module_name)
        sub: typer.Typer = module.app
        if group is None:
            app.registered_commands.extend(sub.registered_commands)
        else:
            app.add_typer(sub, name=group, help=help_text)


_register()


def main() -> None:
    app()
