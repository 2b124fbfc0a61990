"""Why the simulated venue refused a request, in venue-neutral terms; dialects map these to codes."""

from __future__ import annotations


class VenueRejection(Exception):
    """Base: the request changed nothing on the venue."""


class InsufficientBalance(VenueRejection):
    def __init__(self, asset: str) -> None:
        super().__init__(f"insufficient {asset}")
        self.asset = asset


class FilterFailure(VenueRejection):
    """A symbol rule was broken; `filter_name` uses Binance's filter names."""

    def __init__(self, filter_name: str) -> None:
        super().__init__(f"Filter failure: {filter_name}")
        self.filter_name = filter_name


class DuplicateClientOrderId(VenueRejection):
    pass


class OrderNotFound(VenueRejection):
    pass


class UnknownSymbol(VenueRejection):
    pass


class WouldTakeLiquidity(VenueRejection):
    """A maker-only order would have matched immediately."""


class InvalidOrderRequest(VenueRejection):
    """A parameter is missing or malformed; `parameter` names it."""

    def __init__(self, parameter: str, reason: str = "") -> None:
        super().__init__(reason or f"invalid parameter {parameter}")
        self.parameter = parameter
