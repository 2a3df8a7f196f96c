"""The transparency log beyond the pure crypto: tile export, receipts (proof files), witnesses,
and the auditor's verifier.

``ledger.crypto`` holds the byte formats and proofs; this package wires them to the ledger's
storage (export, receipts, cosignatures), to HTTP (witness server and client), and streams a
published log through the whole verification (``verify``). The verifier imports no database.
"""
