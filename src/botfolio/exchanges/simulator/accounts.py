"""Simulated accounts: API credentials and balances split into free and locked."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from botfolio.exchanges.simulator.rejections import InsufficientBalance


@dataclass(slots=True)
class Balance:
    free: Decimal = Decimal("0")
    locked: Decimal = Decimal("0")


@dataclass(slots=True)
class Account:
    """One API key pair and its wallet; the secret never leaves the simulator except to its owner."""

    api_key: str
    secret: str
    balances: dict[str, Balance] = field(default_factory=dict)

    def balance(self, asset: str) -> Balance:
        return self.balances.setdefault(asset, Balance())

    def set_free(self, asset: str, amount: Decimal) -> None:
        if amount < 0:
            raise ValueError("a balance cannot be negative")
        self.balance(asset).free = amount

    def require_free(self, asset: str, amount: Decimal) -> None:
        if self.balance(asset).free < amount:
            raise InsufficientBalance(asset)

    def lock(self, asset: str, amount: Decimal) -> None:
        self.require_free(asset, amount)
        entry = self.balance(asset)
        entry.free -= amount
        entry.locked += amount

    def unlock(self, asset: str, amount: Decimal) -> None:
        entry = self.balance(asset)
        released = min(amount, entry.locked)
        entry.locked -= released
        entry.free += released

    def debit(self, asset: str, amount: Decimal) -> None:
        self.require_free(asset, amount)
        self.balance(asset).free -= amount

    def credit(self, asset: str, amount: Decimal) -> None:
        self.balance(asset).free += amount
