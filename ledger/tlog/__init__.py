"""The operator's side of the transparency log: tile export, receipts (proof files), witnesses.

``ledger.crypto`` holds the byte formats and proofs; this package wires them to the ledger's
storage (export, receipts, cosignatures) and to HTTP (witness server and client). The auditor,
which needs no database, is :mod:`ledger.audit`.
"""
