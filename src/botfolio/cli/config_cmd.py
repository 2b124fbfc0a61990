"""`botfolio config show`: the effective settings with every secret redacted."""

from __future__ import annotations

import json

import typer

from botfolio.cli.common import console, load_settings
from botfolio.config import redacted

app = typer.Typer(no_args_is_help=True)


@app.command("show")
def show() -> None:
    """Print the effective settings as JSON; secrets appear as '**********'."""
    console.print_json(json.dumps(redacted(load_settings())))
