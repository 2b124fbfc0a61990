"""The promotion gate, forced promotions, canary start and manual rollback, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from botfolio.audit.models import AuditEvent
from botfolio.clock import ManualClock
from botfolio.db.database import Database
from botfolio.errors import ConflictError, ValidationFailedError
from botfolio.market.synthetic import SyntheticMarketConfig, generate_frames
from botfolio.predictions import registry
from botfolio.predictions.models import ModelState

from .conftest import OPERATOR, SYMBOLS, TRAIN_BARS, Artifacts, champion_of, register, state_of


async def test_promote_when_candidate_is_worse_on_the_same_holdout_is_refused_and_changes_nothing(
    db: Database, clock: ManualClock, artifacts: Artifacts
) -> None:
    champion = await champion_of(db, clock, artifacts.good)
    worse = await register(db, clock, artifacts.worse)

    with pytest.raises(ConflictError, match="refused by the gate"):
        async with db.transaction() as session:
            await registry.promote(session, clock, worse.id, to=ModelState.CHAMPION, actor=OPERATOR)

    assert await state_of(db, champion.id) == ModelState.CHAMPION
    assert await state_of(db, worse.id) == ModelState.CANDIDATE


async def test_promote_when_forced_accepts_a_worse_candidate_and_audits_the_force(
    db: Database, clock: ManualClock, artifacts: Artifacts
) -> None:
    champion = await champion_of(db, clock, artifacts.good)
    worse = await register(db, clock, artifacts.worse)

    async with db.transaction() as session:
        outcome = await registry.promote(
            session,
            clock,
            worse.id,
            to=ModelState.CHAMPION,
            actor=OPERATOR,
            force=True,
            reason="incident 42: known-good older model",
        )

    assert outcome.forced and outcome.verdict is not None and not outcome.verdict.passed
    assert await state_of(db, worse.id) == ModelState.CHAMPION
    assert await state_of(db, champion.id) == ModelState.RETIRED
    async with db.session() as session:
        events = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "model.promotion_forced")
            )
        ).all()
    assert [(e.target_id, e.actor_id) for e in events] == [(worse.id, OPERATOR.user_id)]
    assert events[0].details["reason"] == "incident 42: known-good older model"


async def test_promote_when_forced_without_a_reason_is_rejected(
    db: Database, clock: ManualClock, artifacts: Artifacts
) -> None:
    await champion_of(db, clock, artifacts.good)
    worse = await register(db, clock, artifacts.worse)

    with pytest.raises(ValidationFailedError, match="reason"):
        async with db.transaction() as session:
            await registry.promote(
                session, clock, worse.id, to=ModelState.CHAMPION, actor=OPERATOR, force=True
            )

    assert await state_of(db, worse.id) == ModelState.CANDIDATE


async def test_promote_when_candidate_beats_champion_makes_it_canary_then_champion(
    db: Database, clock: ManualClock, artifacts: Artifacts
) -> None:
    worse = await champion_of(db, clock, artifacts.worse)
    better = await register(db, clock, artifacts.good)

    async with db.transaction() as session:
        canary = await registry.promote(
            session, clock, better.id, to=ModelState.CANARY, actor=OPERATOR, share=0.2
        )
    async with db.transaction() as session:
        await registry.promote(session, clock, better.id, to=ModelState.CHAMPION, actor=OPERATOR)

    assert canary.verdict is not None and canary.verdict.passed
    assert canary.verdict.method == "stored holdout"
    assert await state_of(db, better.id) == ModelState.CHAMPION
    assert await state_of(db, worse.id) == ModelState.RETIRED
    async with db.session() as session:
        snapshot = await registry.serving_snapshot(session)
    assert snapshot.champion is not None and snapshot.champion.id == better.id
    assert snapshot.fallback is not None and snapshot.fallback.id == worse.id


async def test_promote_when_candles_are_given_re_evaluates_both_models_on_unseen_rows(
    db: Database, clock: ManualClock, artifacts: Artifacts
) -> None:
    champion = await champion_of(db, clock, artifacts.good)
    worse = await register(db, clock, artifacts.worse)
    longer = generate_frames(SyntheticMarketConfig(symbols=SYMBOLS), seed=11, bars=TRAIN_BARS + 400)

    with pytest.raises(ConflictError) as refused:
        async with db.transaction() as session:
            await registry.promote(
                session,
                clock,
                worse.id,
                to=ModelState.CHAMPION,
                actor=OPERATOR,
                gate_candles=longer,
            )

    assert refused.value.details["method"] == "re-evaluated on unseen candles"
    assert await state_of(db, champion.id) == ModelState.CHAMPION


async def test_promote_when_holdouts_differ_and_no_candles_refuses_as_not_comparable(
    db: Database, clock: ManualClock, artifacts: Artifacts
) -> None:
    await champion_of(db, clock, artifacts.good)
    other = await register(db, clock, artifacts.other)
    async with db.transaction() as session:
        version = await registry.get_version(session, other.id)
        version.data_start = "2025-01-01T00:00:00+00:00"  # as if trained on another range

    with pytest.raises(ConflictError) as refused:
        async with db.transaction() as session:
            await registry.promote(session, clock, other.id, to=ModelState.CANARY, actor=OPERATOR)

    assert refused.value.details["method"] == "not comparable"


async def test_rollback_when_manual_restores_the_previous_champion_and_keeps_history(
    db: Database, clock: ManualClock, artifacts: Artifacts
) -> None:
    first = await champion_of(db, clock, artifacts.worse)
    second = await register(db, clock, artifacts.good)
    async with db.transaction() as session:
        await registry.promote(session, clock, second.id, to=ModelState.CHAMPION, actor=OPERATOR)

    async with db.transaction() as session:
        outcome = await registry.rollback(session, clock, actor=OPERATOR, reason="drill")

    assert outcome.rolled_back is not None and outcome.rolled_back.id == second.id
    assert outcome.restored is not None and outcome.restored.id == first.id
    assert await state_of(db, first.id) == ModelState.CHAMPION
    async with db.session() as session:
        steps = await registry.history(session)
    assert [(t.model_version_id, t.to_state) for t in steps][:2] == [
        (first.id, "champion"),
        (second.id, "retired"),
    ]


async def test_register_when_artifact_was_modified_is_refused(
    db: Database, clock: ManualClock, artifacts: Artifacts, tmp_path
) -> None:
    import shutil

    copy = tmp_path / "tampered"
    shutil.copytree(artifacts.good, copy)
    model = copy / "model.txt"
    model.write_text(model.read_text().replace("learning_rate", "learning_rote", 1))

    with pytest.raises(Exception, match="does not match"):
        await register(db, clock, copy)

    async with db.session() as session:
        assert list(await registry.list_versions(session)) == []
