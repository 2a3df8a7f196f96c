"""Group commit: concurrent submissions to one community share one transaction and one checkpoint.

The first request to find no writer for its community becomes the writer: it takes every
submission queued so far (its own among them), records them with ``Sunlight.submit_each`` (each on
its own merits, all accepted ones in one transaction) and hands every waiting request its own
answer. Requests that arrive meanwhile queue for the next group. No timer, no background thread:
under light load a group is one submission, under heavy load commits are shared, and a ``201``
still means committed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from ledger.application import Receipt, Sunlight
from ledger.signing import Submission

MAX_GROUP = 256


@dataclass
class _Pending:
    submission: Submission
    done: bool = False
    result: Receipt | BaseException | None = field(default=None)


class GroupCommitter:
    def __init__(self, ledger: Sunlight, max_group: int = MAX_GROUP) -> None:
        self.ledger = ledger
        self.max_group = max_group
        self._cond = threading.Condition()
        self._queues: dict[str, list[_Pending]] = {}
        self._writing: set[str] = set()

    def submit(self, community: str, submission: Submission) -> Receipt:
        """Records ``submission``; returns its receipt or raises why it was refused."""
        mine = _Pending(submission)
        with self._cond:
            queue = self._queues.setdefault(community, [])
            queue.append(mine)
            while not mine.done:
                if community in self._writing:
                    self._cond.wait()
                    continue
                self._writing.add(community)
                group = queue[:self.max_group]
                del queue[:len(group)]
                self._cond.release()
                try:
                    results = self._commit(community, group)
                finally:
                    self._cond.acquire()
                    for pending, result in zip(group, results, strict=True):
                        pending.done, pending.result = True, result
                    self._writing.discard(community)
                    self._cond.notify_all()
        if isinstance(mine.result, BaseException):
            raise mine.result
        assert mine.result is not None
        return mine.result

    def _commit(self, community: str, group: list[_Pending]) -> list[Receipt | BaseException]:
        try:
            return list(self.ledger.submit_each(community, [p.submission for p in group]))
        except Exception as exc:  # the database failed: every request of the group hears why
            return [exc] * len(group)
