"""The ``sunlight`` command line.

Each module defines the command it is named after (``db``, ``init``, ``keys``, ``member``, ``record``,
``proposals``, ``log``, ``serve``, ``demo``, ``audit``); ``root`` holds the ``sunlight`` app itself, the
options every command shares and the error reporting. The command line ships with the portal
publisher and adds its ``sunlight publish`` here: this package is where the two are wired together, the one place in
``ledger`` that imports ``publisher`` (with ``demo``, which builds the demo's portal); the
publisher imports nothing from ``ledger.cli``.
"""

from __future__ import annotations

import publisher.cli
from ledger.cli import audit, db, demo, init, keys, log, member, proposals, record, serve
from ledger.cli.root import app, run

publisher.cli.register(app)


def main() -> None:
    run()


__all__ = ["app", "audit", "db", "demo", "init", "keys", "log", "main", "member", "proposals",
           "record", "serve"]
