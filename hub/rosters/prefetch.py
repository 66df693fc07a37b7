"""Fetch a source's next batches while the current one is applied.

Fetching and parsing run in a forked child process when this process may have
children (a plain CLI or web process), so they do not compete with applying for
the interpreter lock; in a daemonic process (a Celery prefork worker) they run in a
thread instead. Either way the consumer sees the same batches in the same order,
and an exception raised while fetching is raised in the consumer.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from itertools import repeat
from typing import Any

from connectors.base import Batch, ConnectorError, SourceRecord, TransientError

DEPTH = 3
Prepare = Callable[[Batch], Batch]
POLL_SECONDS = 0.5


class _End:
    pass


def _finished(item: object) -> bool:
    """True at the end of the batches; a failure from the producer is raised here."""
    if isinstance(item, BaseException):
        raise item
    return isinstance(item, _End)


def _portable(exc: BaseException) -> BaseException:
    """An exception that survives pickling to the parent (connector errors keep their class)."""
    if isinstance(exc, ConnectorError):
        return type(exc)(str(exc))
    return TransientError(f"fetching failed: {type(exc).__name__}: {exc}")


def _die_with_parent(parent_pid: int) -> None:
    """The child holds copies of the parent's sockets (a PostgreSQL connection among them):
    if the parent is killed, the child must go too, or the server keeps the parent's
    transaction, and its locks, open. Linux: PR_SET_PDEATHSIG."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the queue timeout in the parent still applies
        return
    if os.getppid() != parent_pid:  # the parent died before the call took effect
        os._exit(1)


def _to_wire(batch: Batch) -> Batch:
    """The batch with its records as plain tuples for the trip to the parent: a named tuple pickles and
    unpickles through Python-level ``__getnewargs__`` and ``__new__`` calls, a plain tuple in C (at a
    million records, about half of the pickling cost)."""
    plain: list[Any] = list(map(tuple, batch.records))
    return replace(batch, records=plain)


def _from_wire(batch: Batch) -> Batch:
    return replace(batch, records=list(map(tuple.__new__, repeat(SourceRecord), batch.records)))


def _child(batches: Iterator[Batch], q: Any, parent_pid: int, prepare: Prepare) -> None:
    _die_with_parent(parent_pid)
    try:
        for batch in batches:
            q.put(_to_wire(prepare(batch)))
        q.put(_End())
    except BaseException as exc:  # noqa: BLE001  (handed to the parent, raised there)
        q.put(_portable(exc))
    q.close()
    q.join_thread()


def in_process(batches: Iterator[Batch], prepare: Prepare) -> Iterator[Batch]:
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue(maxsize=DEPTH)
    child = ctx.Process(target=_child, args=(batches, q, os.getpid(), prepare), name="sync-fetch", daemon=True)
    child.start()
    try:
        while True:
            try:
                item = q.get(timeout=POLL_SECONDS)
            except queue.Empty:
                if not child.is_alive() and q.empty():
                    raise TransientError("the fetching process stopped without finishing") from None
                continue
            if _finished(item):
                return
            yield _from_wire(item)
    finally:
        if child.is_alive():
            child.terminate()
        child.join(timeout=5)
        q.close()


def in_thread(batches: Iterator[Batch], prepare: Prepare) -> Iterator[Batch]:
    q: queue.Queue = queue.Queue(maxsize=DEPTH)
    stop = threading.Event()

    def produce() -> None:
        try:
            for raw in batches:
                batch = prepare(raw)
                while not stop.is_set():
                    try:
                        q.put(batch, timeout=0.2)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(_End())
        except BaseException as exc:  # noqa: BLE001  (handed to the consumer, raised there)
            q.put(exc)

    thread = threading.Thread(target=produce, name="sync-fetch", daemon=True)
    thread.start()
    old = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)  # let the fetching thread back in quickly after each read
    try:
        while True:
            item = q.get()
            if _finished(item):
                return
            yield item
    finally:
        stop.set()
        sys.setswitchinterval(old)


def _unchanged(batch: Batch) -> Batch:
    return batch


def prefetched(batches: Iterator[Batch], prepare: Prepare = _unchanged) -> Iterator[Batch]:
    """The same batches, fetched (and passed through ``prepare``) ahead of the consumer."""
    can_fork = "fork" in multiprocessing.get_all_start_methods() and not multiprocessing.current_process().daemon
    return in_process(batches, prepare) if can_fork else in_thread(batches, prepare)
