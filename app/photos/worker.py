"""Decode untrusted photos in worker processes bounded in CPU time and address space.

A hostile file that passes every cheap check (a decoder edge case we do not know about yet)
can still make libjpeg/libpng/libwebp spin or allocate for a long time. So the decoding and
resizing (:func:`app.photos.pipeline.decode_render`) runs in a small pool of worker processes
(``python -c ...``, not ``fork``: the app is multi-threaded), each of which limits itself with
``resource.setrlimit``:

* ``RLIMIT_AS`` (address space, default 1 GiB) for the life of the worker: an allocation past
  it fails with ``MemoryError`` inside the worker, which answers "too complex";
* ``RLIMIT_CPU`` re-armed before each photo at *CPU used so far + limit* (default 5 s): past it
  the kernel kills the worker (SIGXCPU). The parent also gives up after a wall-clock deadline
  (CPU limit x 6, for a machine short of CPU) and kills the worker itself.

A worker that died or was killed is reaped (its peak RSS is kept for :meth:`DecodePool.stats`)
and replaced by a fresh one on the next photo; the upload gets
:func:`app.photos.errors.too_complex`. Requests and answers are a JSON header plus raw byte
blobs over the worker's stdin/stdout: nothing is unpickled.

``PINZHI_PHOTO_WORKERS`` sets the pool size (default 2; ``0`` decodes in the calling process,
without limits: for debugging only).
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import queue
import resource
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from app.photos import errors
from app.photos.errors import PhotoRejected
from app.photos.formats import AcceptedFormat

DEFAULT_WORKERS = 2
CPU_SECONDS = 5
ADDRESS_SPACE = 1 << 30  # 1 GiB
_WALL_FACTOR = 6
_SECRET_WORDS = ("PASSWORD", "SECRET", "TOKEN", "KEY")
_PIPE_BYTES = 1 << 20  # Linux's default /proc/sys/fs/pipe-max-size
_PROJECT_ROOT = Path(__file__).resolve().parents[2]
_LABEL = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "HEIF": "HEIC"}


class _WorkerGone(Exception):
    """The worker died, was killed, or broke the protocol."""


# ---------------------------------------------------------------------------
# framing: 4-byte big-endian length + payload
# ---------------------------------------------------------------------------


def _write_frames(out: IO[bytes], *frames: bytes) -> None:
    for frame in frames:
        out.write(len(frame).to_bytes(4, "big"))
        out.write(frame)
    out.flush()


def _read_exact(inp: IO[bytes], n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = inp.read(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return bytes(buf)


def _read_frame(inp: IO[bytes]) -> bytes:
    return _read_exact(inp, int.from_bytes(_read_exact(inp, 4), "big"))


# ---------------------------------------------------------------------------
# the worker process
# ---------------------------------------------------------------------------


def _cpu_used() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def serve() -> None:
    """Worker main loop: ``python -c 'from app.photos.worker import serve; serve()' CPU AS``."""
    cpu_seconds, address_space = int(sys.argv[1]), int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    from app.photos import pipeline  # imported after the limits, like everything the decode touches

    inp, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing may print into the protocol stream
    _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
    while True:
        try:
            meta = json.loads(_read_frame(inp))
            data = _read_frame(inp)
        except EOFError:
            return
        started = _cpu_used()
        soft = int(started) + 1 + cpu_seconds
        if cpu_hard != resource.RLIM_INFINITY:
            soft = min(soft, cpu_hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, cpu_hard))
        blobs: list[bytes] = []
        answer: dict[str, Any]
        try:
            limits = pipeline.PhotoLimits(**meta["limits"])
            dims = tuple(meta["dims"]) if meta["dims"] else None
            r = pipeline.decode_render(data, meta["fmt"], limits, dims)
            fields = asdict(r)
            blobs = [fields.pop("display"), fields.pop("thumb")]
            if r.captured_at is not None:
                fields["captured_at"] = r.captured_at.isoformat()
            answer = {"ok": True, "rendered": fields}
        except PhotoRejected as exc:
            answer = {"ok": False, "rejected": exc.to_dict()}
        except MemoryError:
            blobs = []
            answer = {"ok": False, "memory": True}
        except Exception as exc:  # a decoder bug: report it, stay alive
            answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]}
        answer["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        answer["cpu_s"] = round(_cpu_used() - started, 3)
        _write_frames(out, json.dumps(answer).encode(), *blobs)


# ---------------------------------------------------------------------------
# the parent side
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolStats:
    peak_rss_kb: int  #: highest ru_maxrss reported by, or reaped from, any worker of the pool
    started: int  #: worker processes started so far
    replaced: int  #: workers that died / were killed and had to be replaced
    max_task_cpu_s: float  #: most CPU time one photo took in a worker that answered


class _Worker:
    def __init__(self, cpu_seconds: int, address_space: int) -> None:
        # the decoder needs no database URL or secret: a compromised decoder should not find one
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("DATABASE_URL") and not any(w in k.upper() for w in _SECRET_WORDS)}
        env["MALLOC_ARENA_MAX"] = "2"  # decoder threads must not each reserve a 64 MB arena of the limit
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PROJECT_ROOT), env.get("PYTHONPATH")) if p)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from app.photos.worker import serve; serve()", str(cpu_seconds),
             str(address_space)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, close_fds=True,
        )
        for stream in (self.proc.stdin, self.proc.stdout):
            # a 4 MB photo through the default 64 KB pipe costs ~60 context switches each way
            with contextlib.suppress(OSError, AttributeError):
                fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)  # type: ignore[union-attr]
        self.maxrss_kb = 0

    def request(self, meta: dict[str, Any], data: bytes, deadline: float) -> tuple[dict[str, Any], list[bytes]]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            _write_frames(self.proc.stdin, json.dumps(meta).encode(), data)
        except (BrokenPipeError, OSError) as exc:
            raise _WorkerGone from exc
        out = self.proc.stdout
        remaining = deadline - time.monotonic()
        ready, _, _ = select.select([out], [], [], max(0.0, remaining))
        if not ready:
            raise _WorkerGone("deadline")
        try:
            answer = json.loads(_read_frame(out))
            blobs = [_read_frame(out) for _ in range(2)] if answer.get("ok") else []
        except (EOFError, OSError, ValueError) as exc:
            raise _WorkerGone from exc
        self.maxrss_kb = max(self.maxrss_kb, int(answer.get("maxrss_kb", 0)))
        return answer, blobs

    def stop(self, *, kill: bool) -> int:
        """End the worker (SIGKILL if ``kill``, else close its stdin); return its peak RSS in KB."""
        proc = self.proc
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        if kill and proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        maxrss = self.maxrss_kb
        try:
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            maxrss = max(maxrss, usage.ru_maxrss)
        except ChildProcessError:  # already reaped by Popen.poll()
            proc.wait()
        return maxrss


class DecodePool:
    """``size`` worker processes; :meth:`render` blocks until one is free."""

    def __init__(self, size: int = DEFAULT_WORKERS, *, cpu_seconds: int = CPU_SECONDS,
                 address_space: int = ADDRESS_SPACE) -> None:
        if size < 1:
            raise ValueError("a decode pool needs at least one worker")
        self.size, self.cpu_seconds, self.address_space = size, cpu_seconds, address_space
        self._slots: queue.Queue[_Worker | None] = queue.Queue()
        for _ in range(size):
            self._slots.put(None)  # started on first use
        self._lock = threading.Lock()
        self._peak_rss_kb = 0
        self._started = 0
        self._replaced = 0
        self._max_cpu = 0.0
        self._closed = False

    def stats(self) -> PoolStats:
        with self._lock:
            return PoolStats(self._peak_rss_kb, self._started, self._replaced, self._max_cpu)

    def _note_rss(self, kb: int) -> None:
        with self._lock:
            self._peak_rss_kb = max(self._peak_rss_kb, kb)

    def render(self, data: bytes, fmt: AcceptedFormat, limits: Any, dims: tuple[int, int] | None) -> Any:
        """Run :func:`pipeline.decode_render` in a worker; a dead or overdue worker -> too_complex."""
        from app.photos.pipeline import Rendered

        meta = {"fmt": fmt, "limits": asdict(limits), "dims": list(dims) if dims else None}
        worker = self._slots.get()
        try:
            if self._closed:
                raise RuntimeError("decode pool is closed")
            if worker is None or worker.proc.poll() is not None:
                if worker is not None:
                    self._note_rss(worker.stop(kill=True))
                    with self._lock:
                        self._replaced += 1
                worker = _Worker(self.cpu_seconds, self.address_space)
                with self._lock:
                    self._started += 1
            deadline = time.monotonic() + self.cpu_seconds * _WALL_FACTOR + 5
            try:
                answer, blobs = worker.request(meta, data, deadline)
            except _WorkerGone:
                self._note_rss(worker.stop(kill=True))
                with self._lock:
                    self._replaced += 1
                worker = None
                raise self._too_complex(fmt) from None
            self._note_rss(worker.maxrss_kb)
            with self._lock:
                self._max_cpu = max(self._max_cpu, float(answer.get("cpu_s", 0.0)))
        finally:
            self._slots.put(worker)
        if answer["ok"]:
            fields = answer["rendered"]
            at = fields["captured_at"]
            fields["captured_at"] = datetime.fromisoformat(at) if at else None
            return Rendered(display=blobs[0], thumb=blobs[1], **fields)
        if "rejected" in answer:
            raise PhotoRejected.from_dict(answer["rejected"])
        if answer.get("memory"):
            raise self._too_complex(fmt)
        raise RuntimeError(f"photo decode worker failed: {answer.get('error')}")

    def _too_complex(self, fmt: str) -> PhotoRejected:
        return errors.too_complex(_LABEL.get(fmt, fmt), self.cpu_seconds, self.address_space // (1 << 20))

    def close(self) -> None:
        """Stop every idle worker (a worker busy in another thread is stopped when it comes back)."""
        self._closed = True
        for _ in range(self.size):
            try:
                worker = self._slots.get_nowait()
            except queue.Empty:
                break
            if worker is not None:
                self._note_rss(worker.stop(kill=False))
            self._slots.put(None)


_shared: DecodePool | None = None
_shared_lock = threading.Lock()


def configured_workers() -> int:
    raw = os.environ.get("PINZHI_PHOTO_WORKERS", "").strip()
    return int(raw) if raw else DEFAULT_WORKERS


def shared_pool() -> DecodePool | None:
    """The process-wide pool, created on first use (None when ``PINZHI_PHOTO_WORKERS=0``)."""
    global _shared
    if _shared is None:
        size = configured_workers()
        if size <= 0:
            return None
        with _shared_lock:
            if _shared is None:
                _shared = DecodePool(size)
                atexit.register(_shared.close)
    return _shared
