"""The auditor's verifier: streams a published log and checks everything it can.

From the signed checkpoint down to every member's signature: the checkpoint's signature and
witness quorum; every entry bundle and hash tile against the tree recomputed from the entries;
the root; each entry's form, time and signer (role and unrevoked key at that moment, by replaying
the membership records of the log itself through :func:`ledger.acceptance.accept`); every domain
rule (the same fold the ledger runs); and, given a trusted older checkpoint, that the log neither
rolled back nor forked. Each failure names the entry index and what is wrong.

Memory stays flat: one bundle and one tile per level at a time, the compact range, a bounded
number of signature batches in flight, and the fold state -- which keeps only what the rules need
(membership, balances, budgets, open entities), puts the record ids the uniqueness rules ask
about in a :class:`~ledger.audit.spill.SpillingIds` (at most ``ids_in_memory`` in memory, the rest
in a temporary file behind a Bloom filter), and forgets a statement's hash once the acceptance
window has passed it. Signatures -- nearly all the work -- are checked in a process pool while
this process reads, hashes and folds, and by this process too whenever every worker is busy.
"""

from __future__ import annotations

import base64
import gc
import hashlib
import hmac
import multiprocessing
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ledger.acceptance import accept, check_time, max_past_for, remembered
from ledger.audit.sigworker import Batch, verify_batch
from ledger.audit.source import LogSource
from ledger.audit.spill import MEMORY_LIMIT, SpillingIds
from ledger.crypto.checkpoint import Checkpoint, open_checkpoint
from ledger.crypto.cosignature import verify_cosigned
from ledger.crypto.errors import (
    InsufficientCosignaturesError,
    MalformedError,
    VerificationError,
)
from ledger.crypto.merkle import CompactRange, subtree_hash
from ledger.crypto.note import Verifier, open_note, split_note
from ledger.crypto.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    decode_entry_bundle,
    decode_hash_tile,
    entries_path,
    tile_path,
)
from ledger.domain.errors import DomainError
from ledger.domain.kinds import DEFAULT_POLICY
from ledger.domain.state import CommunityState
from ledger.replay import read_entry
from ledger.signing import format_accepted

BATCH_SIZE = 2000
READ_AHEAD_BUNDLES = 8  # tell the source which bundles (and their tiles) come next
TAIL_BATCH = 128  # the smallest batch, near the end, so little is left in flight when the replay ends
INLINE_BELOW = 5000  # smaller logs are checked in this process: a pool costs more to start
MAX_FAILURES = 1000
FREEZE_EVERY = 16  # bundles
PROGRESS_EVERY = 16  # bundles (4,096 entries) between calls of a progress callback


class CannotVerify(Exception):
    """Verification could not run (bad input, unreadable source): exit status 2."""


@dataclass(frozen=True)
class Failure:
    index: int | None  # the entry index, or None for the checkpoint as a whole
    code: str
    message_zh: str
    message_en: str

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "code": self.code, "message_zh": self.message_zh,
                "message_en": self.message_en}


@dataclass
class Report:
    target: str
    origin: str = ""
    size: int = 0
    root_hash: str = ""
    community_id: str | None = None
    witnesses: list[str] = field(default_factory=list)  # names of witnesses whose cosignature verified
    quorum: int = 0
    trusted_size: int | None = None
    checkpoint: str = ""  # the signed checkpoint verified against (with cosignatures), as read
    entries_checked: int = 0
    signatures_checked: int = 0
    cosigned_entries: int = 0  # version 2 entries (several signatures), every one checked
    # the signing policy in force at the end: set by the entry at policy_from (None: no policy,
    # one signature sufficed throughout), and whether it is the default one
    policy_from: int | None = None
    policy_default: bool = False
    failures: list[Failure] = field(default_factory=list)
    failure_count: int = 0
    complete: bool = False  # every entry was read
    seconds: float = 0.0
    main_cpu_seconds: float = 0.0
    workers: int = 0  # signature processes besides this one
    inline_signatures: int = 0  # signatures this process checked itself (all of them without a pool)

    @property
    def verified(self) -> bool:
        return self.complete and self.failure_count == 0

    def fail(self, index: int | None, code: str, zh: str, en: str) -> None:
        self.failure_count += 1
        if len(self.failures) < MAX_FAILURES:
            self.failures.append(Failure(index, code, zh, en))

    def to_json(self) -> dict[str, Any]:
        return {
            "verified": self.verified, "target": self.target, "origin": self.origin,
            "size": self.size, "root_hash": self.root_hash, "community_id": self.community_id,
            "witnesses": self.witnesses, "quorum": self.quorum, "trusted_size": self.trusted_size,
            "checkpoint": self.checkpoint,
            "entries_checked": self.entries_checked, "signatures_checked": self.signatures_checked,
            "cosigned_entries": self.cosigned_entries, "policy_from": self.policy_from,
            "policy_default": self.policy_default,
            "complete": self.complete, "failure_count": self.failure_count,
            "failures": [f.to_json() for f in self.sorted_failures()],
            "seconds": round(self.seconds, 3), "main_cpu_seconds": round(self.main_cpu_seconds, 3),
            "workers": self.workers, "inline_signatures": self.inline_signatures,
        }

    def sorted_failures(self) -> list[Failure]:
        return sorted(self.failures, key=lambda f: (-1 if f.index is None else f.index, f.code))


@dataclass(frozen=True)
class Policy:
    log_key: Verifier
    witnesses: tuple[Verifier, ...] = ()
    quorum: int = 0
    trusted: str | None = None  # a signed checkpoint the auditor already trusts


def verify_log(source: LogSource, policy: Policy, *, workers: int | None = None,
               batch_size: int = BATCH_SIZE, executor: Executor | None = None,
               ids_in_memory: int = MEMORY_LIMIT,
               progress: Callable[[int, int], None] | None = None) -> Report:
    """Verifies the log at ``source``. ``workers``: signature processes besides this one, which
    also checks signatures whenever every worker is busy (0 = this process alone; None = one per core
    but one, or this process alone for small logs). An ``executor`` given is used and not shut down.
    ``ids_in_memory``: record ids kept in memory before older ones move to a temporary file.
    ``progress(entries_read, size)`` is called every few thousand entries and once at the end."""
    started, cpu_started = time.perf_counter(), time.process_time()
    report = Report(source.describe(), quorum=policy.quorum)
    if policy.quorum > len({w.name for w in policy.witnesses}):
        raise CannotVerify(f"需要 {policy.quorum} 位见证人联署，但只给了 {len(policy.witnesses)} 位见证人的公钥")
    trusted = _trusted(policy)
    checkpoint = _checkpoint(source, policy, report)
    if checkpoint is not None:
        report.origin, report.size = checkpoint.origin, checkpoint.size
        report.root_hash = base64.b64encode(checkpoint.root_hash).decode()
        if trusted is not None:
            report.trusted_size = trusted.size
        if workers is None:
            # This process checks signatures too whenever the pool is busy, so one worker per
            # core but one keeps every core busy without a third process competing for two cores.
            workers = 0 if checkpoint.size < INLINE_BELOW else max((os.cpu_count() or 1) - 1, 1)
        report.workers = workers if executor is None else getattr(executor, "_max_workers", workers)
        pool: Executor | None = executor
        method = start_method()
        if pool is None and workers > 0:
            pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method))
        ids = SpillingIds(ids_in_memory)
        try:
            if pool is not None and executor is None and method == "fork":
                # Fork the workers now, before the source starts a thread to read ahead: a forked
                # pool starts them all at its first task, and forking beside threads is unsafe.
                pool.submit(int).result()
            _Run(source, checkpoint, trusted, report, pool, batch_size,
                 max_in_flight=2 * max(report.workers, 1), ids=ids, progress=progress).run()
        except BrokenProcessPool:
            raise CannotVerify("签名核验进程意外退出（内存不足？）") from None
        except OSError as exc:  # the spill file of record ids (sources raise SourceError)
            raise CannotVerify(f"无法写入临时文件（磁盘已满？可用 TMPDIR 指定别处）：{exc}") from None
        finally:
            source.close()
            ids.close()
            if pool is not None and executor is None:
                pool.shutdown(wait=True, cancel_futures=True)
    report.seconds = time.perf_counter() - started
    report.main_cpu_seconds = time.process_time() - cpu_started
    return report


def start_method() -> str:
    """How signature workers start: ``fork`` where it is the platform's norm and this process runs
    no other thread (a forked worker starts at once with what is already imported; a spawned one
    re-imports the program -- over half a second of CPU for the CLI), else ``spawn``."""
    return "fork" if sys.platform == "linux" and threading.active_count() == 1 else "spawn"


def _trusted(policy: Policy) -> Checkpoint | None:
    if policy.trusted is None:
        return None
    try:
        checkpoint, _ = open_checkpoint(policy.trusted, [policy.log_key], origin=policy.log_key.name)
    except VerificationError as exc:
        raise CannotVerify(f"受信任的检查点无法用日志公钥验证：{exc}") from None
    return checkpoint


def _checkpoint(source: LogSource, policy: Policy, report: Report) -> Checkpoint | None:
    data = source.read("checkpoint")
    if data is None:
        raise CannotVerify(f"{source.describe()} 中没有 checkpoint 文件：不是一份导出的日志")
    try:
        text, _ = split_note(data)
        checkpoint = Checkpoint.parse(text)
        report.checkpoint = data.decode("utf-8")  # split_note read it as UTF-8
    except VerificationError as exc:
        report.fail(None, "checkpoint-malformed", f"检查点格式错误：{exc}", f"checkpoint is malformed: {exc}")
        return None
    if checkpoint.origin != policy.log_key.name:
        report.fail(None, "origin-mismatch",
                    f"检查点属于日志 {checkpoint.origin}，而不是公钥所属的 {policy.log_key.name}",
                    f"checkpoint origin {checkpoint.origin!r} is not the key's {policy.log_key.name!r}")
        return None
    try:
        open_note(data, [policy.log_key])
    except VerificationError as exc:
        report.fail(None, "checkpoint-signature", f"检查点没有本日志公钥的有效签名：{exc}",
                    f"checkpoint is not validly signed by the log key: {exc}")
        return None
    if policy.witnesses:
        try:
            note = open_note(data, [policy.log_key, *policy.witnesses])
            report.witnesses = sorted({w.name for w in policy.witnesses if note.signed_by(w)})
            verify_cosigned(data, [policy.log_key], policy.witnesses, policy.quorum)
        except InsufficientCosignaturesError:
            report.fail(None, "witness-quorum",
                        f"只有 {len(report.witnesses)} 位指定见证人联署，少于要求的 {policy.quorum} 位",
                        f"{len(report.witnesses)} of the required {policy.quorum} witnesses cosigned")
        except VerificationError as exc:
            report.fail(None, "witness-signature", f"见证人联署签名无效：{exc}",
                        f"a witness cosignature is invalid: {exc}")
    return checkpoint


class _Stop(Exception):
    """The log cannot be read further (a bundle is missing or unreadable)."""


class _Run:
    def __init__(self, source: LogSource, checkpoint: Checkpoint, trusted: Checkpoint | None,
                 report: Report, pool: Executor | None, batch_size: int, max_in_flight: int,
                 ids: SpillingIds, progress: Callable[[int, int], None] | None = None) -> None:
        self.source = source
        self.checkpoint = checkpoint
        self.trusted = trusted
        self.report = report
        self.pool = pool
        self.batch_size = batch_size
        self.max_in_flight = max_in_flight
        self.progress = progress
        self.tree = CompactRange()
        self.domain: CommunityState | None = None
        self.ids = ids
        self.last_accepted: datetime | None = None
        self.levels: dict[int, list[bytes]] = {}  # tile level >= 1 -> hashes of its current tile
        self.in_flight: deque[Future[list[int]]] = deque()
        self.raw_keys: dict[str, bytes] = {}
        self.batch_limit = batch_size
        # Signatures waiting to be checked, in log order: four parallel lists (see Batch).
        self.b_index: list[int] = []
        self.b_keys: list[bytes] = []
        self.b_messages: list[bytes] = []
        self.b_sigs: list[bytes] = []

    def run(self) -> None:
        report, size = self.report, self.checkpoint.size
        if self.trusted is not None and self.trusted.size > size:
            report.fail(size, "rollback",
                        f"日志只有 {size} 条，比受信任的检查点（{self.trusted.size} 条）短：日志被回滚",
                        f"log has {size} entries, fewer than the trusted checkpoint's {self.trusted.size}: "
                        "rolled back")
        progress, bundles = self.progress, (size + TILE_WIDTH - 1) // TILE_WIDTH
        try:
            for n in range(bundles):
                if n % FREEZE_EVERY == 0:
                    # The fold state only grows: keep the cyclic GC from re-traversing it forever.
                    gc.freeze()
                self._bundle(n, min(TILE_WIDTH, size - n * TILE_WIDTH))
                if progress is not None and n % PROGRESS_EVERY == PROGRESS_EVERY - 1 and n < bundles - 1:
                    progress(report.entries_checked, size)
            self._finish_levels()
            report.complete = True
            if self.domain is not None:
                report.policy_from = self.domain.policy_from
                report.policy_default = self.domain.policy_from is not None and \
                    self.domain.policy == DEFAULT_POLICY
        except _Stop:
            pass
        finally:
            gc.unfreeze()
            self._check_here(len(self.b_index))
            self._drain()
            if progress is not None:
                progress(report.entries_checked, size)
        if report.complete and not hmac.compare_digest(self.tree.root(), self.checkpoint.root_hash):
            report.fail(None, "root-mismatch", "由全部记录重新计算的根哈希与检查点不符",
                        "the root hash recomputed from the entries differs from the checkpoint's")

    # --- tiles ---------------------------------------------------------------------------------

    def _read(self, path: str, first: int, required: bool = True) -> bytes | None:
        data = self.source.read(path)
        if data is None and required:
            self.report.fail(first, "tile-missing", f"缺少文件 {path}", f"{path} is missing")
        return data

    def _bundle(self, n: int, width: int) -> None:
        first = n * TILE_WIDTH
        w = None if width == TILE_WIDTH else width
        # Smaller batches towards the end: whatever is still in flight when the replay ends is
        # waited for with this process idle.
        self.batch_limit = min(self.batch_size, max(TAIL_BATCH, (self.checkpoint.size - first) // 8))
        self.source.prefetch(self._paths_after(n))
        data = self._read(entries_path(n, w), first)
        if data is None:
            raise _Stop
        try:
            entries = decode_entry_bundle(data, width)
        except MalformedError as exc:
            self.report.fail(first, "bundle-malformed", f"记录包 {entries_path(n, w)} 格式错误：{exc}",
                             f"entry bundle {entries_path(n, w)} is malformed: {exc}")
            raise _Stop from None
        if self.domain is not None and self.last_accepted is not None:
            # Nothing signed before this can be accepted from here on (acceptance times never
            # decrease; a decrease is itself reported): its hash can leave the duplicate check.
            self.domain.forget_statements_signed_before(self.last_accepted
                                                        - remembered(self.domain))
        sha256 = hashlib.sha256
        leaves = [sha256(b"\x00" + entry).digest() for entry in entries]
        trusted = self.trusted
        if width == TILE_WIDTH and (trusted is None or not first < trusted.size <= first + width):
            # A full bundle is one complete subtree: hash it level by level and add it whole.
            for level, idx, h in self.tree.append_subtree(TILE_HEIGHT, subtree_hash(leaves)):
                if level % TILE_HEIGHT == 0:
                    self._level_hash(level // TILE_HEIGHT, idx, h)
        else:
            for leaf in leaves:
                for level, idx, h in self.tree.append(leaf):
                    if level and level % TILE_HEIGHT == 0:
                        self._level_hash(level // TILE_HEIGHT, idx, h)
                if trusted is not None and self.tree.size == trusted.size:
                    self._check_trusted()
        self._entries(first, entries)
        self._compare_tile(0, n, leaves)
        self._dispatch()

    def _paths_after(self, n: int) -> list[str]:
        """The entry bundles and level-0 tiles of the next few bundles after ``n``."""
        size, paths = self.checkpoint.size, []
        for m in range(n + 1, min(n + 1 + READ_AHEAD_BUNDLES, (size + TILE_WIDTH - 1) // TILE_WIDTH)):
            width = min(TILE_WIDTH, size - m * TILE_WIDTH)
            paths += [entries_path(m, None if width == TILE_WIDTH else width), tile_path(0, m, width)]
        return paths

    def _level_hash(self, tile_level: int, idx: int, h: bytes) -> None:
        hashes = self.levels.setdefault(tile_level, [])
        hashes.append(h)
        if len(hashes) == TILE_WIDTH:
            self._compare_tile(tile_level, idx // TILE_WIDTH, hashes)
            self.levels[tile_level] = []

    def _finish_levels(self) -> None:
        size = self.checkpoint.size
        for tile_level, hashes in sorted(self.levels.items()):
            if hashes:
                n = (size >> (TILE_HEIGHT * tile_level)) // TILE_WIDTH
                self._compare_tile(tile_level, n, hashes)

    def _compare_tile(self, tile_level: int, n: int, hashes: list[bytes]) -> None:
        width = len(hashes)
        path = tile_path(tile_level, n, width)
        span = TILE_WIDTH ** tile_level  # leaves under one hash of this tile
        first = n * TILE_WIDTH * span
        data = self._read(path, first)
        if data is None:
            return
        try:
            stored = decode_hash_tile(data, width)
        except MalformedError as exc:
            self.report.fail(first, "tile-malformed", f"瓦片 {path} 格式错误：{exc}",
                             f"tile {path} is malformed: {exc}")
            return
        for i, (got, want) in enumerate(zip(stored, hashes, strict=True)):
            if got != want:
                index = first + i * span
                self.report.fail(index, "tile-mismatch",
                                 f"瓦片 {path} 的第 {i} 个哈希与由记录重新计算的不符",
                                 f"hash {i} of tile {path} differs from the tree recomputed from the entries")

    def _check_trusted(self) -> None:
        assert self.trusted is not None
        if not hmac.compare_digest(self.tree.root(), self.trusted.root_hash):
            size = self.trusted.size
            self.report.fail(size - 1, "fork",
                             f"前 {size} 条记录组成的树与受信任的检查点不同：日志被改写（分叉）",
                             f"the tree of the first {size} entries differs from the trusted checkpoint: "
                             "the log was rewritten (fork)")

    # --- entries -------------------------------------------------------------------------------

    def _entries(self, first: int, entries: Sequence[bytes]) -> None:
        """Replays one bundle's entries in log order: each entry's form, time and signers, then
        every rule through :func:`ledger.acceptance.accept`; an accepted entry's signatures join
        the batch. One loop for the bundle, with what every entry needs at hand."""
        report = self.report
        report.entries_checked += len(entries)
        raw_keys = self.raw_keys
        b_index, b_keys = self.b_index.append, self.b_keys.append
        b_messages, b_sigs = self.b_messages.append, self.b_sigs.append
        domain, last_accepted = self.domain, self.last_accepted
        for index, data in enumerate(entries, first):
            try:
                entry, statement = read_entry(data)
            except DomainError as exc:
                if exc.code == "entry-malformed":
                    report.fail(index, "entry-malformed", "日志条目格式错误", "log entry is malformed")
                else:
                    report.fail(index, exc.code, f"声明格式错误：{exc}", f"statement is malformed ({exc.code})")
                continue
            statement_bytes, signature, key_id, accepted_at, cosignatures = entry
            if domain is None:
                domain = self.domain = CommunityState(statement.community, keep_records=False,
                                                      ids=self.ids, forget_statements=True)
                report.community_id = statement.community
            if last_accepted is not None and accepted_at < last_accepted:
                accepted = format_accepted(accepted_at)
                report.fail(index, "accepted-at-decreased", f"登记时间 {accepted} 早于前一条记录：记录顺序被改动",
                            f"accepted_at {accepted} is earlier than the previous entry's: entries reordered")
            last_accepted = self.last_accepted = accepted_at
            try:
                check_time(statement.at, accepted_at, max_past_for(domain, 1 + len(cosignatures)))
                public_keys, _ = accept(domain, statement_bytes, statement, signature, key_id,
                                        cosignatures=cosignatures, verify=False,
                                        accepted_at=accepted_at)
            except DomainError as exc:
                report.fail(index, exc.code, f"{statement.kind}：{exc}",
                            f"{statement.kind} statement refused by rule {exc.code}")
                continue
            if cosignatures:
                report.cosigned_entries += 1
                signed = zip(public_keys, [sig for _, sig in entry.signatures], strict=True)
            else:  # one signature, nearly every entry
                signed = zip(public_keys, (signature,), strict=True)
            for public_key, sig in signed:
                raw = raw_keys.get(public_key)
                if raw is None:
                    raw = raw_keys[public_key] = base64.b64decode(public_key)
                b_index(index)
                b_keys(raw)
                b_messages(statement_bytes)
                b_sigs(sig)

    # --- signatures ----------------------------------------------------------------------------

    def _dispatch(self) -> None:
        """After each bundle: full batches go to the pool while a worker has room; when every
        worker is busy, this process checks one bundle's worth itself and returns to the replay.
        Big batches keep the pool's cost per signature low; small steps here keep both cores busy."""
        if self.pool is None:
            if len(self.b_index) >= self.batch_size:
                self._check_here(len(self.b_index))
            return
        in_flight = self.in_flight
        while in_flight and in_flight[0].done():
            self._bad(in_flight.popleft().result())
        if self.b_index and len(in_flight) < self.report.workers:
            # A worker is idle (the start of the log): it takes what there is rather than wait
            # for a full batch while this process replays another 2,000 entries.
            in_flight.append(self.pool.submit(verify_batch, self._take(len(self.b_index))))
        while len(self.b_index) >= self.batch_limit:
            while in_flight and in_flight[0].done():
                self._bad(in_flight.popleft().result())
            if len(in_flight) >= self.max_in_flight:
                self._check_here(TILE_WIDTH)
                return
            batch = self._take(self.batch_limit)
            in_flight.append(self.pool.submit(verify_batch, batch))

    def _take(self, n: int) -> Batch:
        batch: Batch = (self.b_index[:n], self.b_keys[:n], self.b_messages[:n], self.b_sigs[:n])
        del self.b_index[:n], self.b_keys[:n], self.b_messages[:n], self.b_sigs[:n]
        self.report.signatures_checked += len(batch[0])
        return batch

    def _check_here(self, n: int) -> None:
        batch = self._take(n)
        self.report.inline_signatures += len(batch[0])
        self._bad(verify_batch(batch))

    def _drain(self) -> None:
        while self.in_flight:
            self._bad(self.in_flight.popleft().result())

    def _bad(self, indices: Sequence[int]) -> None:
        for index in dict.fromkeys(indices):  # a co-signed entry's bad signatures: one failure
            self.report.fail(index, "signature-invalid", "签名无效：声明被改动过，或不是用登记的密钥签名的",
                             "signature does not verify: the statement was altered or signed by another key")
