"""The load driver: raw HTTP/1.1 over asyncio streams, keep-alive when the server allows it.

Requests are encoded (and signed) before a stage's clock starts, so that the timed loop only
writes bytes, reads the status line, the headers and Content-Length bytes of body. A server
that answers `Connection: close` (gunicorn's sync workers always do) gets a new connection per
request, and the connect time counts in that request's latency, as it would for Twilio.
"""

from __future__ import annotations

import asyncio
import gc
import os
import resource
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

REQUEST_TIMEOUT = 20.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


class Signer:
    """Encodes Twilio's webhook POSTs for one server, signed with the server's token."""

    def __init__(self, token: str, host: str, port: int):
        """The token, and the host and port the signed URLs name."""
        self.validator = RequestValidator(token)
        self.host, self.port = host, port
        self.base = f"http://{host}:{port}"
        self.counter = 0

    def encode(self, path: str, params: dict[str, str]) -> bytes:
        """The whole request: the signature covers this exact URL, query string included."""
        body = urlencode(params).encode()
        signature = self.validator.compute_signature(self.base + path, params)
        self.counter += 1
        head = (f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"User-Agent: TwilioProxy/1.1\r\n"
                f"Content-Type: application/x-www-form-urlencoded; charset=utf-8\r\n"
                f"X-Twilio-Signature: {signature}\r\n"
                f"I-Twilio-Idempotency-Token: bench-{os.getpid()}-{self.counter}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n")
        return head.encode() + body


class Connection:
    """One client connection, reopened whenever the server closes it."""

    def __init__(self, host: str, port: int):
        """Where to connect."""
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.connects = 0
        self.retries = 0

    async def _open(self) -> None:
        """A new TCP connection."""
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.connects += 1

    def close(self) -> None:
        """Drop the connection."""
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def _exchange(self, data: bytes) -> tuple[int, bytes]:
        """Write one request, read one response."""
        if self.writer is None:
            await self._open()
        self.writer.write(data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lower = head.lower()
        start = lower.find(b"\r\ncontent-length:")
        if start >= 0:
            end = lower.find(b"\r\n", start + 2)
            body = await self.reader.readexactly(int(lower[start + 17:end]))
        elif status in (204, 304):
            body = b""
        else:
            body = await self.reader.read()  # no length: the body ends with the connection
            self.close()
            return status, body
        if b"\r\nconnection: close" in lower:
            self.close()
        return status, body

    async def send(self, data: bytes) -> tuple[int, bytes]:
        """One request; a kept-alive connection the server dropped while idle is reopened."""
        reused = self.writer is not None
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT):
                return await self._exchange(data)
        except (asyncio.IncompleteReadError, ConnectionError) as error:
            self.close()
            if not reused or (isinstance(error, asyncio.IncompleteReadError) and error.partial):
                raise
        # The server closed the idle connection before reading anything: send it again.
        self.retries += 1
        async with asyncio.timeout(REQUEST_TIMEOUT):
            return await self._exchange(data)


@dataclass
class StageRun:
    """What one stage's requests gave: statuses, bodies, latencies and the wall time."""

    statuses: list[int]
    bodies: list[bytes]
    latencies: list[float]
    wall: float
    driver_cpu: float
    started: float
    errors: list[str] = field(default_factory=list)


class Driver:
    """A pool of connections to one server, used `concurrency` at a time."""

    def __init__(self, host: str, port: int, connections: int):
        """Open lazily, up to `connections` at once."""
        self.host, self.port = host, port
        self.pool = [Connection(host, port) for _ in range(connections)]

    def close(self) -> None:
        """Close every connection."""
        for conn in self.pool:
            conn.close()

    @property
    def connects(self) -> int:
        """TCP connections opened so far."""
        return sum(c.connects for c in self.pool)

    @property
    def retries(self) -> int:
        """Requests resent after the server dropped an idle connection."""
        return sum(c.retries for c in self.pool)

    async def stage(self, requests: list[bytes], concurrency: int) -> StageRun:
        """Send every request, `concurrency` in flight; time each one and the whole stage."""
        n = len(requests)
        statuses = [0] * n
        bodies = [b""] * n
        latencies = [0.0] * n
        errors: list[str] = []
        position = 0
        clock = time.perf_counter

        async def worker(conn: Connection) -> None:
            """Take the next request until none is left."""
            nonlocal position
            while position < n:
                i = position
                position += 1
                started = clock()
                try:
                    status, body = await conn.send(requests[i])
                except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as error:
                    conn.close()
                    status, body = -1, b""
                    errors.append(f"{type(error).__name__}: {error}"[:200])
                latencies[i] = clock() - started
                statuses[i] = status
                bodies[i] = body

        gc.disable()  # no collector pauses inside the timed loop (collected after)
        cpu0 = _own_cpu()
        started = clock()
        await asyncio.gather(*(worker(c) for c in self.pool[:concurrency]))
        wall = clock() - started
        cpu = _own_cpu() - cpu0
        gc.enable()
        return StageRun(statuses, bodies, latencies, wall, cpu, started, errors)


def _own_cpu() -> float:
    """CPU seconds this process has used."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) used so far by these processes; gone ones count 0."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / CLK_TCK


def children(pid: int) -> list[int]:
    """The child processes of a process (gunicorn's workers)."""
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(p) for p in handle.read().split()]
    except OSError:
        pass
    return found


def postgres_backends(database: str) -> list[int]:
    """PIDs of the PostgreSQL backends serving one database (from their process titles)."""
    pids = []
    marker = f" {database} ".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                title = handle.read()
        except OSError:
            continue
        if title.startswith(b"postgres:") and marker in title:
            pids.append(int(entry))
    return pids


def percentile(sorted_values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of sorted values, nearest rank."""
    if not sorted_values:
        return float("nan")
    rank = max(0, min(len(sorted_values) - 1, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]
