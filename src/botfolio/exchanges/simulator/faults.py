"""Fault rules (latency, 5xx, 429/418, drops, lost responses, expired keys) and how one is picked."""

from __future__ import annotations

import fnmatch
import random
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field, model_validator


class FaultKind(StrEnum):
    LATENCY = "latency"
    HTTP_ERROR = "http_error"
    DROP = "drop"
    RESPONSE_LOST = "response_lost"
    CREDENTIALS_EXPIRED = "credentials_expired"


ERROR_STATUSES = (418, 429, 500, 503, 504)


class FaultSpec(BaseModel):
    """What a control call asks for. A rule fires on matching requests with `probability`,
    at most `count` times when a count is given (then it is removed)."""

    kind: FaultKind
    path: str = Field(default="*", description="glob on the request path, e.g. /api/v3/order")
    method: str | None = None
    api_key: str | None = None
    probability: float = Field(default=1.0, ge=0.0, le=1.0)
    count: int | None = Field(default=None, ge=1)
    latency_ms: int = Field(default=0, ge=0, le=120_000)
    status: int | None = None
    lost_as: Literal["drop", "504"] = "drop"

    @model_validator(mode="after")
    def _check_kind_parameters(self) -> FaultSpec:
        if self.kind is FaultKind.HTTP_ERROR and self.status not in ERROR_STATUSES:
            raise ValueError(f"http_error needs status in {ERROR_STATUSES}")
        if self.kind is FaultKind.LATENCY and self.latency_ms <= 0:
            raise ValueError("latency needs latency_ms > 0")
        if self.kind is FaultKind.CREDENTIALS_EXPIRED and not self.api_key:
            raise ValueError("credentials_expired needs api_key")
        return self


@dataclass(slots=True)
class FaultRule:
    rule_id: int
    spec: FaultSpec
    remaining: int | None
    fired: int = 0

    def applies_to(self, method: str, path: str, api_key: str | None) -> bool:
        spec = self.spec
        if spec.method is not None and spec.method.upper() != method.upper():
            return False
        if spec.api_key is not None and spec.api_key != api_key:
            return False
        return fnmatch.fnmatchcase(path, spec.path)


@dataclass(frozen=True, slots=True)
class FaultDecision:
    latency_ms: int = 0
    fault: FaultSpec | None = None


@dataclass(slots=True)
class FaultBook:
    """The active rules of one venue; the draw is seeded so a scenario replays identically."""

    seed: int = 0
    rules: list[FaultRule] = field(default_factory=list)
    _next_id: int = 1
    _rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        self._rng.seed(f"faults:{self.seed}")

    def add(self, spec: FaultSpec) -> FaultRule:
        rule = FaultRule(rule_id=self._next_id, spec=spec, remaining=spec.count)
        self._next_id += 1
        self.rules.append(rule)
        return rule

    def remove(self, rule_id: int) -> bool:
        before = len(self.rules)
        self.rules = [r for r in self.rules if r.rule_id != rule_id]
        return len(self.rules) != before

    def clear(self) -> None:
        self.rules.clear()

    def decide(self, method: str, path: str, api_key: str | None) -> FaultDecision:
        """Latency rules add up; the first other rule that fires decides the outcome."""
        latency = 0
        fault: FaultSpec | None = None
        for rule in list(self.rules):
            if not rule.applies_to(method, path, api_key):
                continue
            if rule.spec.kind is not FaultKind.LATENCY and fault is not None:
                continue
            if not self._fires(rule):
                continue
            if rule.spec.kind is FaultKind.LATENCY:
                latency += rule.spec.latency_ms
            else:
                fault = rule.spec
        return FaultDecision(latency_ms=latency, fault=fault)

    def _fires(self, rule: FaultRule) -> bool:
        if rule.spec.probability < 1.0 and self._rng.random() >= rule.spec.probability:
            return False
        rule.fired += 1
        if rule.remaining is not None:
            rule.remaining -= 1
            if rule.remaining <= 0:
                self.remove(rule.rule_id)
        return True
