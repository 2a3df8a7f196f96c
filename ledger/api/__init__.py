"""The ledger service: an HTTP API for recording, reading and auditing a community's log.

``create_app(ledger, settings)`` builds the Starlette application; ``ledger.api.server`` runs
it under uvicorn (``sunlight serve``).
"""

from __future__ import annotations

from ledger.api.app import Settings, create_app

__all__ = ["Settings", "create_app"]
