"""Upbit error bodies: {"error": {"name": ..., "message": ...}} with the venue's names."""

from __future__ import annotations

from botfolio.exchanges.simulator.rejections import (
    DuplicateClientOrderId,
    FilterFailure,
    InsufficientBalance,
    InvalidOrderRequest,
    OrderNotFound,
    UnknownSymbol,
    VenueRejection,
    WouldTakeLiquidity,
)

_FILTER_ERRORS = {
    "PRICE_FILTER": (
        "invalid_price",
        "주문 가격 단위를 잘못 입력하셨습니다. 확인 후 시도해주세요.",
    ),
    "LOT_SIZE": ("invalid_volume", "주문 수량 단위를 잘못 입력하셨습니다. 확인 후 시도해주세요."),
    "NOTIONAL": ("under_min_total", "최소주문금액 이상으로 주문해주세요"),
}


class UpbitError(Exception):
    def __init__(self, name: str | int, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.name = name
        self.message = message
        self.status = status

    def body(self) -> dict[str, dict[str, str | int]]:
        return {"error": {"name": self.name, "message": self.message}}


def jwt_verification() -> UpbitError:
    return UpbitError("jwt_verification", "Jwt 토큰 검증에 실패했습니다.", 401)


def invalid_access_key() -> UpbitError:
    return UpbitError("invalid_access_key", "잘못된 엑세스 키입니다.", 401)


def invalid_query_payload() -> UpbitError:
    return UpbitError("invalid_query_payload", "Jwt 토큰의 쿼리 정보가 일치하지 않습니다.", 401)


def nonce_used() -> UpbitError:
    return UpbitError("nonce_used", "이미 요청한 nonce값이 다시 사용되었습니다.", 401)


def validation(message: str) -> UpbitError:
    return UpbitError("validation_error", message)


def market_not_found() -> UpbitError:
    return UpbitError(404, "Code not found", 404)


def from_rejection(rejection: VenueRejection, side: str = "bid") -> UpbitError:
    """`side` is Upbit's bid/ask: several error names carry it as a suffix."""
    if isinstance(rejection, InsufficientBalance):
        return UpbitError(
            f"insufficient_funds_{side}", f"주문가능한 금액({rejection.asset})이 부족합니다."
        )
    if isinstance(rejection, FilterFailure):
        name, message = _FILTER_ERRORS.get(
            rejection.filter_name, ("invalid_order", "잘못된 주문입니다.")
        )
        return UpbitError(f"{name}_{side}", message)
    if isinstance(rejection, OrderNotFound):
        return UpbitError("order_not_found", "주문을 찾지 못했습니다.", 404)
    if isinstance(rejection, DuplicateClientOrderId):
        return UpbitError("duplicate_identifier", "이미 사용된 identifier입니다.")
    if isinstance(rejection, WouldTakeLiquidity):
        return UpbitError("post_only_order_would_be_filled", "post_only 주문이 체결될 수 있습니다.")
    if isinstance(rejection, UnknownSymbol):
        return market_not_found()
    if isinstance(rejection, InvalidOrderRequest):
        return validation(
            f"{rejection.parameter} is missing, {rejection.parameter} does not have a valid value"
        )
    return UpbitError("server_error", "서버 오류", 500)
