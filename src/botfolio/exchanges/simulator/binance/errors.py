"""Binance error bodies ({"code", "msg"}) with the venue's exact codes, messages and statuses."""

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


class BinanceError(Exception):
    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status

    def body(self) -> dict[str, int | str]:
        return {"code": self.code, "msg": self.msg}


def invalid_api_key() -> BinanceError:
    return BinanceError(-2015, "Invalid API-key, IP, or permissions for action.", 401)


def api_key_format_invalid() -> BinanceError:
    return BinanceError(-2014, "API-key format invalid.", 401)


def bad_signature() -> BinanceError:
    return BinanceError(-1022, "Signature for this request is not valid.")


def outside_recv_window() -> BinanceError:
    return BinanceError(-1021, "Timestamp for this request is outside of the recvWindow.")


def mandatory(parameter: str) -> BinanceError:
    return BinanceError(
        -1102, f"Mandatory parameter '{parameter}' was not sent, was empty/null, or malformed."
    )


def illegal_characters(parameter: str) -> BinanceError:
    return BinanceError(
        -1100,
        f"Illegal characters found in parameter '{parameter}'; "
        "legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.",
    )


def invalid_interval() -> BinanceError:
    return BinanceError(-1120, "Invalid interval.")


def invalid_symbol() -> BinanceError:
    return BinanceError(-1121, "Invalid symbol.")


def from_rejection(rejection: VenueRejection, *, cancelling: bool = False) -> BinanceError:
    """Translate a venue-neutral refusal into what Binance answers for it."""
    if isinstance(rejection, InsufficientBalance):
        return BinanceError(-2010, "Account has insufficient balance for requested action.")
    if isinstance(rejection, FilterFailure):
        return BinanceError(-1013, f"Filter failure: {rejection.filter_name}")
    if isinstance(rejection, DuplicateClientOrderId):
        return BinanceError(-2010, "Duplicate order sent.")
    if isinstance(rejection, WouldTakeLiquidity):
        return BinanceError(-2010, "Order would immediately match and take.")
    if isinstance(rejection, UnknownSymbol):
        return invalid_symbol()
    if isinstance(rejection, InvalidOrderRequest):
        return mandatory(rejection.parameter)
    if isinstance(rejection, OrderNotFound):
        if cancelling:
            return BinanceError(-2011, "Unknown order sent.")
        return BinanceError(-2013, "Order does not exist.")
    return BinanceError(-1000, "An unknown error occured while processing the request.")
