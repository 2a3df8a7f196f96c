"""The ledger service: an HTTP API for recording, reading and auditing a community's log.

``create_app(ledger, settings)`` builds the Starlette application; ``ledger.api.server`` runs
it under uvicorn (``sunlight serve``). Each module is named after the part of the HTTP API it
serves; where that is also the name of a ledger module (``founding``, ``witness``), it is that
module's HTTP edge.
"""

from __future__ import annotations

from ledger.api.app import Settings, create_app

__all__ = ["Settings", "create_app"]
