"""`botfolio model register | list | promote | rollback | history`: the model registry by hand.

`register(app)` adds these commands to the existing `model` group (see cli/model_cmd.py).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from botfolio.audit.service import Actor
from botfolio.cli.common import console, run_with_runtime
from botfolio.runtime import Runtime

if TYPE_CHECKING:
    from botfolio.predictions.models import ModelTransition, ModelVersion

FamilyOption = Annotated[str, typer.Option(help="Model family.")]
ActorOption = Annotated[
    str | None, typer.Option("--actor", help="Your user id, recorded in the audit log.")
]


def register(app: typer.Typer) -> None:
    """Add the registry commands to the `model` group."""
    app.command("register")(register_model)
    app.command("list")(list_models)
    app.command("promote")(promote_model)
    app.command("rollback")(rollback_model)
    app.command("history")(model_history)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def _ic(version: ModelVersion) -> str:
    holdout = version.metrics.get("holdout", {})
    value = holdout.get("information_coefficient") if isinstance(holdout, dict) else None
    return "n/a" if value is None else f"{float(value):.4f}"


def _actor(actor_id: str | None) -> Actor:
    return Actor(user_id=actor_id) if actor_id else Actor.system()


def register_model(
    artifact: Annotated[Path, typer.Argument(help="Directory with model.txt and metadata.json.")],
    family: FamilyOption = "default",
    actor: ActorOption = None,
) -> None:
    """Verify an artifact (sha256, features) and register it as a candidate."""
    from botfolio.predictions import registry

    async def _register(runtime: Runtime) -> ModelVersion:
        async with runtime.db.transaction() as session:
            return await registry.register_version(
                session, runtime.clock, artifact_dir=artifact, actor=_actor(actor), family=family
            )

    version = run_with_runtime(_register)
    console.print(f"registered {version.model_key} as candidate [bold]{version.id}[/bold]")


def list_models(
    family: Annotated[str | None, typer.Option(help="Only this family.")] = None,
) -> None:
    """Every version, newest first, with its state and holdout IC."""
    from botfolio.predictions import registry

    async def _list(runtime: Runtime) -> list[ModelVersion]:
        async with runtime.db.session() as session:
            return list(await registry.list_versions(session, family))

    versions = run_with_runtime(_list)
    table = Table(title=f"model versions ({len(versions)})")
    for column in ("id", "family", "model", "state", "canary share", "holdout IC", "created"):
        table.add_column(column, overflow="fold" if column == "id" else "ellipsis")
    for v in versions:
        share = f"{v.canary_share:.0%}" if v.state == "canary" else "-"
        table.add_row(v.id, v.family, v.model_key, v.state, share, _ic(v), _when(v.created_at))
    console.print(table)


def promote_model(
    version_id: Annotated[str, typer.Argument(help="The version to promote.")],
    to: Annotated[str, typer.Option(help="canary or champion.")] = "champion",
    share: Annotated[
        float | None, typer.Option(help="Canary share of bots, e.g. 0.1.", min=0, max=1)
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Bypass the gate (needs --reason; audited).")
    ] = False,
    reason: Annotated[str | None, typer.Option(help="Why (kept in the history).")] = None,
    venue: Annotated[
        str | None,
        typer.Option(help="Re-evaluate both models on this venue's stored candles first."),
    ] = None,
    actor: ActorOption = None,
) -> None:
    """Promote through the gate: the candidate must beat the champion on the same holdout."""
    from botfolio.predictions import registry
    from botfolio.predictions.models import ModelState
    from botfolio.predictions.registry import PromotionOutcome
    from botfolio.predictions.sources import load_stored_candles

    target = ModelState(to) if to in ("canary", "champion") else None
    if target is None:
        raise typer.BadParameter("--to must be canary or champion")

    async def _promote(runtime: Runtime) -> PromotionOutcome:
        candles = None
        if venue is not None:
            async with runtime.db.session() as session:
                version = await registry.get_version(session, version_id)
                candles = await load_stored_candles(
                    session, venue, version.symbols, version.timeframe
                )
        async with runtime.db.transaction() as session:
            return await registry.promote(
                session,
                runtime.clock,
                version_id,
                to=target,
                actor=_actor(actor),
                share=share,
                force=force,
                reason=reason,
                gate_candles=candles,
            )

    outcome = run_with_runtime(_promote)
    if outcome.verdict is not None:
        console.print(f"gate: {outcome.verdict.reason}")
    forced = " [red](forced)[/red]" if outcome.forced else ""
    console.print(f"{outcome.version.id} is now {outcome.version.state}{forced}")


def rollback_model(
    reason: Annotated[str, typer.Option(help="Why (kept in the history and the audit log).")],
    family: FamilyOption = "default",
    version_id: Annotated[
        str | None,
        typer.Option("--version", help="The version to take out [default: canary, else champion]."),
    ] = None,
    actor: ActorOption = None,
) -> None:
    """Take the canary (or the champion) out of service; a champion hands back to its predecessor."""
    from botfolio.predictions import registry
    from botfolio.predictions.registry import RollbackOutcome

    async def _rollback(runtime: Runtime) -> RollbackOutcome:
        async with runtime.db.transaction() as session:
            return await registry.rollback(
                session,
                runtime.clock,
                family=family,
                actor=_actor(actor),
                reason=reason,
                version_id=version_id,
            )

    outcome = run_with_runtime(_rollback)
    gone = outcome.rolled_back.id if outcome.rolled_back else "-"
    serving = outcome.restored.id if outcome.restored else "no model"
    console.print(f"rolled back {gone}; champion now: {serving}")


def model_history(
    family: Annotated[str | None, typer.Option(help="Only this family.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Every change of state: when, which version, from/to, trigger, who, why."""
    from botfolio.predictions import registry

    async def _history(runtime: Runtime) -> list[ModelTransition]:
        async with runtime.db.session() as session:
            return list(await registry.history(session, family, limit=limit))

    steps = run_with_runtime(_history)
    if as_json:
        for step in steps:
            typer.echo(json.dumps(_step_json(step), sort_keys=True))
        return
    table = Table(title=f"model history ({len(steps)} shown)")
    for column in ("at", "version", "from", "to", "trigger", "actor", "reason"):
        table.add_column(column, overflow="fold")
    for s in steps:
        forced = " (forced)" if s.forced else ""
        table.add_row(
            _when(s.at),
            s.model_version_id,
            s.from_state or "-",
            s.to_state + forced,
            s.trigger,
            s.actor_id or "system",
            s.reason,
        )
    console.print(table)


def _step_json(step: ModelTransition) -> dict[str, object]:
    return {
        "at": step.at.isoformat(),
        "version_id": step.model_version_id,
        "family": step.family,
        "from": step.from_state,
        "to": step.to_state,
        "trigger": step.trigger,
        "actor_id": step.actor_id,
        "forced": step.forced,
        "reason": step.reason,
        "details": step.details,
    }
