"""The catalogue of user notification events and their Korean and English templates.

Templates use `str.format_map` over the event's data; a missing field renders as `?` rather than
failing delivery, because a notification that says a little too little beats none at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botfolio.errors import ValidationFailedError

LANGUAGES = ("en", "ko")
DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class EventTemplate:
    title: dict[str, str]
    body: dict[str, str]
    can_be_muted: bool = True


EVENTS: dict[str, EventTemplate] = {
    "order.filled": EventTemplate(
        title={"en": "Order filled: {symbol}", "ko": "주문 체결: {symbol}"},
        body={
            "en": "{side} {amount} {symbol} filled at {price} (bot {bot}).",
            "ko": "{symbol} {side} {amount} 주문이 {price}에 체결되었습니다 (봇 {bot}).",
        },
    ),
    "order.rejected": EventTemplate(
        title={"en": "Order rejected: {symbol}", "ko": "주문 거부: {symbol}"},
        body={
            "en": "The venue rejected {side} {amount} {symbol}: {reason}.",
            "ko": "거래소가 {symbol} {side} {amount} 주문을 거부했습니다: {reason}.",
        },
    ),
    "bot.paused": EventTemplate(
        title={"en": "Bot paused: {bot}", "ko": "봇 일시 중지: {bot}"},
        body={
            "en": "Bot {bot} was paused: {reason}.",
            "ko": "봇 {bot}이(가) 중지되었습니다: {reason}.",
        },
        can_be_muted=False,
    ),
    "bot.halted": EventTemplate(
        title={"en": "Bot halted: {bot}", "ko": "봇 정지: {bot}"},
        body={
            "en": "Bot {bot} was halted and will not trade: {reason}.",
            "ko": "봇 {bot}이(가) 정지되어 거래하지 않습니다: {reason}.",
        },
        can_be_muted=False,
    ),
    "predictions.delayed": EventTemplate(
        title={"en": "Predictions delayed", "ko": "예측 지연"},
        body={
            "en": "Predictions for bot {bot} are delayed: {reason}.",
            "ko": "봇 {bot}의 예측이 지연되고 있습니다: {reason}.",
        },
    ),
    "credentials.expired": EventTemplate(
        title={"en": "Exchange credentials expired: {venue}", "ko": "거래소 인증 만료: {venue}"},
        body={
            "en": "Your {venue} API key no longer works; re-link it to resume trading.",
            "ko": "{venue} API 키가 더 이상 작동하지 않습니다. 거래를 재개하려면 다시 연결하세요.",
        },
        can_be_muted=False,
    ),
    "daily.summary": EventTemplate(
        title={"en": "Daily summary {date}", "ko": "일일 요약 {date}"},
        body={
            "en": "Portfolio value {value}, PnL today {pnl}.",
            "ko": "포트폴리오 가치 {value}, 오늘 손익 {pnl}.",
        },
    ),
    "alert.page": EventTemplate(
        title={"en": "[{severity}] {summary}", "ko": "[{severity}] {summary}"},
        body={
            "en": "Alert {alert_id} ({rule}), seen {occurrences} time(s). Acknowledge it: "
            "botfolio alerts ack {alert_id}",
            "ko": "경보 {alert_id} ({rule}), {occurrences}회 발생. 확인: "
            "botfolio alerts ack {alert_id}",
        },
        can_be_muted=False,
    ),
    "alert.digest": EventTemplate(
        title={"en": "Info alerts digest ({count})", "ko": "정보 경보 요약 ({count})"},
        body={"en": "{lines}", "ko": "{lines}"},
    ),
    "test.message": EventTemplate(
        title={"en": "BotFolio test", "ko": "BotFolio 테스트"},
        body={"en": "{text}", "ko": "{text}"},
    ),
}


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


@dataclass(frozen=True)
class RenderedMessage:
    title: str
    body: str


def template_for(event: str) -> EventTemplate:
    template = EVENTS.get(event)
    if template is None:
        raise ValidationFailedError(
            f"unknown notification event {event!r}; one of {', '.join(sorted(EVENTS))}",
            event=event,
        )
    return template


def validate_language(language: str) -> str:
    if language not in LANGUAGES:
        raise ValidationFailedError(f"language must be one of {', '.join(LANGUAGES)}")
    return language


def render(event: str, data: dict[str, Any], language: str) -> RenderedMessage:
    """The title and body of `event` in `language` (English when that language is unknown)."""
    template = template_for(event)
    lang = language if language in LANGUAGES else DEFAULT_LANGUAGE
    values = _Lenient({key: str(value) for key, value in data.items()})
    return RenderedMessage(
        title=template.title[lang].format_map(values)[:300],
        body=template.body[lang].format_map(values),
    )
