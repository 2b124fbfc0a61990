"""Commands of this group (filled in by its domain's work)."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)
