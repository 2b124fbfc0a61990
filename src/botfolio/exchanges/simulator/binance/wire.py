"""Binance JSON shapes: decimals as 8-place strings, times as epoch milliseconds."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from botfolio.exchanges.simulator.candles import CandleLike
from botfolio.exchanges.simulator.context import to_ms
from botfolio.exchanges.simulator.engine import BookQuote
from botfolio.exchanges.simulator.orders import Fill, Order, OrderKind
from botfolio.exchanges.simulator.rules import SymbolRules

Json = dict[str, Any]


def fmt(value: Decimal | None) -> str:
    return f"{(value or Decimal('0')):.8f}"


def symbol_info(rules: SymbolRules) -> Json:
    return {
        "symbol": rules.symbol,
        "status": "TRADING",
        "baseAsset": rules.base,
        "baseAssetPrecision": 8,
        "quoteAsset": rules.quote,
        "quotePrecision": 8,
        "quoteAssetPrecision": 8,
        "baseCommissionPrecision": 8,
        "quoteCommissionPrecision": 8,
        "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET"],
        "icebergAllowed": False,
        "ocoAllowed": False,
        "otoAllowed": False,
        "quoteOrderQtyMarketAllowed": True,
        "allowTrailingStop": False,
        "cancelReplaceAllowed": False,
        "isSpotTradingAllowed": True,
        "isMarginTradingAllowed": False,
        "filters": _filters(rules),
        "permissions": [],
        "permissionSets": [["SPOT"]],
        "defaultSelfTradePreventionMode": "NONE",
        "allowedSelfTradePreventionModes": ["NONE"],
    }


def _filters(rules: SymbolRules) -> list[Json]:
    return [
        {
            "filterType": "PRICE_FILTER",
            "minPrice": fmt(rules.lowest_price),
            "maxPrice": fmt(rules.max_price),
            "tickSize": fmt(rules.tick_size),
        },
        {
            "filterType": "LOT_SIZE",
            "minQty": fmt(rules.min_qty),
            "maxQty": fmt(rules.max_qty),
            "stepSize": fmt(rules.step_size),
        },
        {
            "filterType": "NOTIONAL",
            "minNotional": fmt(rules.min_notional),
            "applyMinToMarket": True,
            "maxNotional": "9000000.00000000",
            "applyMaxToMarket": False,
            "avgPriceMins": 0,
        },
    ]


def kline(candle: CandleLike, interval: timedelta) -> list[Any]:
    open_ms = to_ms(candle.open_time)
    return [
        open_ms,
        fmt(candle.open),
        fmt(candle.high),
        fmt(candle.low),
        fmt(candle.close),
        fmt(candle.volume),
        open_ms + interval // timedelta(milliseconds=1) - 1,
        fmt(candle.volume * candle.close),
        0,
        "0.00000000",
        "0.00000000",
        "0",
    ]


def ticker_24h(symbol: str, day: list[CandleLike], book: BookQuote, now: datetime) -> Json:
    first, last = day[0], day[-1]
    volume = sum((c.volume for c in day), Decimal("0"))
    quote_volume = sum((c.volume * c.close for c in day), Decimal("0"))
    change = last.close - first.open
    percent = change / first.open * 100 if first.open else Decimal("0")
    return {
        "symbol": symbol,
        "priceChange": fmt(change),
        "priceChangePercent": f"{percent:.3f}",
        "weightedAvgPrice": fmt(quote_volume / volume if volume else last.close),
        "prevClosePrice": fmt(first.open),
        "lastPrice": fmt(last.close),
        "lastQty": "0.00000000",
        "bidPrice": fmt(book.bid),
        "bidQty": "1.00000000",
        "askPrice": fmt(book.ask),
        "askQty": "1.00000000",
        "openPrice": fmt(first.open),
        "highPrice": fmt(max(c.high for c in day)),
        "lowPrice": fmt(min(c.low for c in day)),
        "volume": fmt(volume),
        "quoteVolume": fmt(quote_volume),
        "openTime": to_ms(first.open_time),
        "closeTime": to_ms(now),
        "firstId": -1,
        "lastId": -1,
        "count": 0,
    }


def order_status(order: Order) -> Json:
    """GET /api/v3/order, openOrders and allOrders share this shape."""
    return {
        "symbol": order.symbol,
        "orderId": order.order_id,
        "orderListId": -1,
        "clientOrderId": order.client_order_id,
        "price": fmt(order.price),
        "origQty": fmt(order.quantity),
        "executedQty": fmt(order.executed_quantity),
        "cummulativeQuoteQty": fmt(order.cumulative_quote),
        "status": order.status.value,
        "timeInForce": _time_in_force(order),
        "type": order.kind.value,
        "side": order.side.value,
        "stopPrice": "0.00000000",
        "icebergQty": "0.00000000",
        "time": to_ms(order.created_at),
        "updateTime": to_ms(order.updated_at),
        "isWorking": True,
        "workingTime": to_ms(order.created_at),
        "origQuoteOrderQty": fmt(order.quote_quantity),
        "selfTradePreventionMode": "NONE",
    }


def order_ack(order: Order) -> Json:
    return {
        "symbol": order.symbol,
        "orderId": order.order_id,
        "orderListId": -1,
        "clientOrderId": order.client_order_id,
        "transactTime": to_ms(order.created_at),
    }


def order_result(order: Order, *, full: bool) -> Json:
    result = order_ack(order) | {
        "price": fmt(order.price),
        "origQty": fmt(order.quantity),
        "executedQty": fmt(order.executed_quantity),
        "origQuoteOrderQty": fmt(order.quote_quantity),
        "cummulativeQuoteQty": fmt(order.cumulative_quote),
        "status": order.status.value,
        "timeInForce": _time_in_force(order),
        "type": order.kind.value,
        "side": order.side.value,
        "workingTime": to_ms(order.created_at),
        "selfTradePreventionMode": "NONE",
    }
    if full:
        result["fills"] = [_order_fill(f) for f in order.fills]
    return result


def cancel_result(order: Order, cancel_client_id: str, now: datetime) -> Json:
    body = order_result(order, full=False)
    body.pop("workingTime")
    return body | {
        "origClientOrderId": order.client_order_id,
        "clientOrderId": cancel_client_id,
        "transactTime": to_ms(now),
    }


def _order_fill(fill: Fill) -> Json:
    return {
        "price": fmt(fill.price),
        "qty": fmt(fill.quantity),
        "commission": fmt(fill.commission),
        "commissionAsset": fill.commission_asset,
        "tradeId": fill.trade_id,
    }


def my_trade(fill: Fill) -> Json:
    return {
        "symbol": fill.symbol,
        "id": fill.trade_id,
        "orderId": fill.order_id,
        "orderListId": -1,
        "price": fmt(fill.price),
        "qty": fmt(fill.quantity),
        "quoteQty": fmt(fill.quote_quantity),
        "commission": fmt(fill.commission),
        "commissionAsset": fill.commission_asset,
        "time": to_ms(fill.time),
        "isBuyer": fill.side.value == "BUY",
        "isMaker": fill.is_maker,
        "isBestMatch": True,
    }


def _time_in_force(order: Order) -> str:
    return "GTC" if order.kind is OrderKind.MARKET else order.time_in_force.value
