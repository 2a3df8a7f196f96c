"""The auditor: streams a published log (a directory of tiles or an HTTP prefix) through the whole
verification -- checkpoint and witnesses, tiles, root, every signature and signer, every rule.

Imports no storage (no SQLAlchemy, no event store, no :mod:`ledger.store` or
:mod:`ledger.application`): anyone can run it against a copy of the log, with nothing but the
published files and the log's public key (``tests/audit`` holds it to that).
``verify`` runs it, ``source`` reads the files, ``sigworker`` checks signatures in worker
processes, ``spill`` keeps the record ids the uniqueness rules ask about, ``report`` prints it.
"""
