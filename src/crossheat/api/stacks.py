"""Stack routes of Heat's API v1 (``/v1/{tenant_id}/stacks...``)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
