"""The ``sunlight`` command line.

Each area adds its own commands in its own module (``keys``, ``members``, ``records``, ``log``,
``serve``); other packages (the portal publisher) plug in through the ``sunlight.cli`` entry-point
group: a callable that takes the root :class:`typer.Typer` and adds commands to it.
"""

from __future__ import annotations

from importlib.metadata import entry_points

from ledger.cli import keys, members, records
from ledger.cli.common import app, run


def _load_plugins() -> None:
    for ep in entry_points(group="sunlight.cli"):
        ep.load()(app)


def _load_optional() -> None:
    # Modules owned by other areas register themselves when present.
    import importlib

    for name in ("ledger.cli.log", "ledger.cli.serve"):
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


def main() -> None:
    _load_optional()
    _load_plugins()
    run()


__all__ = ["app", "keys", "main", "members", "records"]
