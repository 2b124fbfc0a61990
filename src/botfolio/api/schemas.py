"""Base classes for request and response bodies shared by every domain's router."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Request bodies: an unknown field is a 422, not silently dropped (a typo must not pass).

    Strings are stripped, and values are not coerced across types (`"1"` is not `1`), so what
    a caller sent is what a service sees. Frozen: a parsed request is a value.
    """

    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True, frozen=True)
