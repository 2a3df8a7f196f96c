"""The ``sunlight`` command line.

Each module defines the command it is named after (``db``, ``init``, ``keys``, ``member``, ``record``,
``proposals``, ``log``, ``serve``, ``demo``, ``audit``); ``root`` holds the ``sunlight`` app itself, the
options every command shares and the error reporting. The command line ships with the portal
publisher and adds its ``sunlight publish`` here: this package is where the two are wired together, the one place in
``ledger`` that imports ``publisher`` (with ``demo``, which builds the demo's portal); the
publisher imports nothing from ``ledger.cli``.

Importing this package registers every command, except in a process started as
``sunlight serve``: there only ``serve`` is registered, so that the service starts without
importing the other commands and the publisher (a fifth of its start-up).
"""

from __future__ import annotations

import sys
from pathlib import Path

from ledger.cli.root import app, run


def serving(argv: list[str]) -> bool:
    """Whether ``argv`` is a ``sunlight serve`` command line (the command comes first: the
    ``sunlight`` app itself takes no options)."""
    return Path(argv[0]).name == "sunlight" and argv[1:2] == ["serve"] if argv else False


if serving(sys.argv):
    from ledger.cli import serve
else:
    import publisher.cli
    from ledger.cli import audit, db, demo, init, keys, log, member, proposals, record, serve

    publisher.cli.register(app)


def main() -> None:
    run()


__all__ = ["app", "audit", "db", "demo", "init", "keys", "log", "main", "member", "proposals",
           "record", "serve"]
