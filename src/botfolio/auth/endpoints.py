"""HTTP routes of this domain (filled in by its work)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
