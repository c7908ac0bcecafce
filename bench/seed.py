"""`python -m bench.seed`: fill a benchmark database with many realistic cases, fast.

Rows are generated in Python and written in bulk: COPY on PostgreSQL (psycopg's
`cursor.copy`), `executemany` in chunks of 10,000 inside one transaction on SQLite. Explicit
ids keep the foreign keys simple; PostgreSQL's identity sequences are moved past them after.
Used by `bench/run.py`; never needed by the line itself, so not one of its `flask` commands:
the database is the one the line would use (`DATABASE_URL`, as for `flask --app wsgi`).

    DATABASE_URL=sqlite:///bench/out/ivr_bench.sqlite3 IVR_ENV=development \
        python -m bench.seed --cases 1000 --numbers-file bench/out/numbers.json --reset
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import islice
from pathlib import Path

import click
from sqlalchemy import MetaData, UniqueConstraint, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.schema import AddConstraint, DropConstraint

from ivr.domain.case_numbers import make_case_number
from ivr.domain.clock import utcnow
from ivr.domain.statuses import AnalystStatus
from ivr.services.directory import name_key
from ivr.store.models import Base
from ivr.store.schema import init_db

AVAILABLE = AnalystStatus.AVAILABLE
CHUNK = 10_000
# New numbers are issued with 7 digits (900,000 possible). A line with a million cases would
# have moved on to 8 digits long before: the oldest cases keep 7 digits, up to a tenth of that
# space, so that the numbers the application still draws collide about as often as they would.
SEVEN_DIGIT_MAX = 90_000
SAMPLE = 20_000
CASE_STATUSES = (("resolved", 0.86), ("received", 0.04), ("in_progress", 0.04),
                 ("visit_scheduled", 0.02), ("waiting_client", 0.02), ("incomplete", 0.02))
COMPANY_WORDS = ("Inversiones", "Distribuidora", "Comercial", "Servicios", "Farmacia",
                 "Constructora", "Importadora", "Tecnología", "Alimentos", "Transporte")
SURNAMES = ("Pérez", "González", "Rodríguez", "Hernández", "García", "Martínez", "López",
            "Díaz", "Ramírez", "Sánchez", "Torres", "Rojas", "Medina", "Castillo", "Núñez")
GIVEN = ("Ana", "Luis", "María", "José", "Carmen", "Pedro", "Rosa", "Carlos", "Elena",
         "Jorge", "Daniela", "Miguel", "Gabriela", "Andrés", "Valentina")
POSITIONS = ("Gerente de Sistemas", "Contador", "Asistente administrativo", "Cajera",
             "Jefe de almacén", "Gerente general", "Analista de compras", None)
# Caller IDs of seeded cases; the benchmark's own callers use other prefixes (416, 426).
CALLER_PREFIXES = ("412", "414", "424", "212", "241", "261")


class Loader:
    """Bulk writes for one engine: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, engine: Engine):
        """Remember the engine and how its dialect wants timestamps and amounts."""
        self.engine = engine
        self.pg = engine.dialect.name == "postgresql"
        if self.pg:
            self.ts: Callable = lambda dt: dt  # noqa: E731 - psycopg adapts datetimes itself
            self.money: Callable = lambda d: d  # noqa: E731
        else:
            # SQLAlchemy's SQLite DateTime format, so that string comparisons stay correct.
            self.ts = lambda dt: None if dt is None else dt.isoformat(" ", "microseconds")
            self.money = lambda d: None if d is None else str(d)

    def load(self, table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
        """Write every row; return how many."""
        raw = self.engine.raw_connection()
        count = 0
        try:
            if self.pg:
                conn = raw.driver_connection
                with conn.cursor() as cursor:
                    # The rows are consistent by construction: skip the foreign-key triggers
                    # (superuser only) and the wait for the WAL flush.
                    cursor.execute("SET session_replication_role = replica")
                    cursor.execute("SET synchronous_commit = off")
                with conn.cursor() as cursor, cursor.copy(
                        f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        count += 1
                conn.commit()
                with conn.cursor() as cursor:
                    cursor.execute("RESET session_replication_role")
                    cursor.execute("RESET synchronous_commit")
                conn.commit()
            else:
                cursor = raw.cursor()
                # A large page cache: the indexes of a million rows are written out of order.
                cursor.execute("PRAGMA cache_size=-512000")
                sql = (f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - our names
                       f"VALUES ({', '.join('?' * len(columns))})")
                cursor.execute("BEGIN")
                iterator = iter(rows)
                while chunk := list(islice(iterator, CHUNK)):
                    cursor.executemany(sql, chunk)
                    count += len(chunk)
                cursor.execute("COMMIT")
                cursor.close()
        finally:
            raw.close()
        return count


def _database_name(engine: Engine) -> str:
    """The database's name: the file name on SQLite."""
    name = engine.url.database or ""
    return Path(name).name if engine.dialect.name == "sqlite" else name


def reset_database(engine: Engine) -> None:
    """Drop every table of a benchmark database."""
    metadata = MetaData()
    metadata.reflect(engine)
    metadata.drop_all(engine)


def _phone(prefix: str, n: int) -> str:
    """A Venezuelan E.164 number from a prefix and a 7-digit subscriber number."""
    return f"+58{prefix}{n % 10_000_000:07d}"


def case_numbers(count: int, missing: int, rng: random.Random, seven_max: int
                 ) -> tuple[list[str], list[str]]:
    """`count` distinct case numbers (7 digits first, then 8), and `missing` unused ones.

    The unused ones have 8 digits: the application draws new numbers of 7, so none of them
    can come into use while a benchmark runs.
    """
    seven = min(count, seven_max)
    used = rng.sample(range(10**5, 10**6), seven)
    eight = rng.sample(range(10**6, 10**7), count - seven + missing)
    used += eight[:count - seven]
    return ([make_case_number(b) for b in used],
            [make_case_number(b) for b in eight[count - seven:]])


def _weighted(rng: random.Random, choices) -> Callable[[], str]:
    """A fast picker of weighted choices."""
    values = [v for v, _ in choices]
    cumulative = []
    total = 0.0
    for _, weight in choices:
        total += weight
        cumulative.append(total)

    def pick() -> str:
        """One choice."""
        r = rng.random() * total
        for value, edge in zip(values, cumulative, strict=True):
            if r < edge:
                return value
        return values[-1]

    return pick


class Seeder:
    """Generates the rows of every table for N cases."""

    def __init__(self, loader: Loader, cases: int, analysts: int, companies: int,
                 rng: random.Random, now: datetime):
        """Sizes, the random source and the moment the data ends."""
        self.loader, self.n, self.k, self.m = loader, cases, analysts, companies
        self.rng, self.now = rng, now
        self.start = now - timedelta(days=3 * 365)
        self.timings: list[tuple[str, int, float]] = []

    def timed(self, table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> None:
        """Load one table (its plain indexes built afterwards) and remember how long it took."""
        started = time.perf_counter()
        model = Base.metadata.tables[table]
        indexes = model.indexes
        # PostgreSQL can also drop its unique constraints and check them once at the end (a
        # sort instead of a million random insertions); SQLite cannot.
        uniques = [c for c in model.constraints if isinstance(c, UniqueConstraint)] \
            if self.loader.pg else []
        with self.loader.engine.begin() as conn:
            for index in indexes:
                conn.execute(text(f"DROP INDEX IF EXISTS {index.name}"))
            for constraint in uniques:
                conn.execute(DropConstraint(constraint))
        count = self.loader.load(table, columns, rows)
        with self.loader.engine.begin() as conn:
            for constraint in uniques:
                conn.execute(AddConstraint(constraint))
            for index in indexes:
                index.create(conn)
        elapsed = time.perf_counter() - started
        self.timings.append((table, count, elapsed))
        rate = count / elapsed if elapsed > 0 else 0.0
        click.echo(f"  {table:<18} {count:>10,} rows in {elapsed:6.1f} s ({rate:,.0f} rows/s)")

    def business_hours(self, always_open: bool) -> None:
        """Open 00:00-23:59 every day (the bench must not depend on the hour), or office hours."""
        from ivr.domain.business_hours import DEFAULT_WINDOWS

        if always_open:
            rows = [(i + 1, day, "00:00", "23:59") for i, day in enumerate(range(7))]
        else:
            rows = [(i + 1, w.weekday, w.opens.strftime("%H:%M"), w.closes.strftime("%H:%M"))
                    for i, w in enumerate(DEFAULT_WINDOWS)]
        self.timed("business_hours", ("id", "weekday", "opens", "closes"), rows)

    def people(self) -> list[str]:
        """Emergency phones, analysts, companies and their contacts; return company names."""
        ts, rng, now = self.loader.ts, self.rng, self.now
        self.timed("emergency_contacts",
                   ("id", "name", "phone", "position", "active", "created_at"),
                   [(1, "Guardia Uno", _phone("414", 143913), 1, True, ts(now)),
                    (2, "Guardia Dos", _phone("414", 320151), 2, True, ts(now))])
        self.timed("analysts", ("id", "name", "phone", "pin_hash", "status", "idle_since",
                                "lease_call_sid", "lease_until", "missed_in_row", "away_notice",
                                "created_at"),
                   ((i, f"Analista {GIVEN[i % len(GIVEN)]} {i}", _phone("414", 9_000_000 + i),
                     None, AVAILABLE, ts(now - timedelta(minutes=self.k - i + 1)), None, None,
                     0, False, ts(self.start)) for i in range(1, self.k + 1)))
        names = []
        rows = []
        for i in range(1, self.m + 1):
            name = f"{COMPANY_WORDS[i % len(COMPANY_WORDS)]} {SURNAMES[i % len(SURNAMES)]} {i}"
            names.append(name)
            contract = rng.choice((4, 8, 24)) if rng.random() < 0.3 else None
            rows.append((i, name, name_key(name), contract, ts(self.start)))
        self.timed("companies", ("id", "name", "name_key", "contract_hours", "created_at"), rows)
        self.timed("contacts", ("id", "company_id", "name", "position", "phone", "email",
                                "created_at"),
                   ((i, (i - 1) // 2 + 1, self._person(i), POSITIONS[i % len(POSITIONS)],
                     self.contact_phone(i), f"contacto{i}@example.com" if i % 3 else None,
                     ts(self.start)) for i in range(1, 2 * self.m + 1)))
        return names

    def contact_phone(self, contact_id: int) -> str:
        """The phone of seeded contact `contact_id`."""
        return _phone("212", 5_000_000 + contact_id)

    def _person(self, i: int) -> str:
        """A plausible name."""
        return f"{GIVEN[i % len(GIVEN)]} {SURNAMES[(i // 7) % len(SURNAMES)]}"

    def cases(self, numbers: list[str], names: list[str]) -> None:
        """The cases, and one inbound call, maybe a recording and a dial attempt for each."""
        ts, money, rng, n = self.loader.ts, self.loader.money, self.rng, self.n
        status_of = _weighted(rng, CASE_STATUSES)
        span = (self.now - timedelta(hours=2) - self.start).total_seconds()
        callers = max(1, n // 3)  # repeat callers: about three cases per number
        plan = []  # (created, caller_number, contact_id, open) per case, for the other tables

        def generate() -> Iterator[tuple]:
            """Rows of `cases`, keeping what the other tables need."""
            for i in range(1, n + 1):
                created = self.start + timedelta(seconds=span * i / n + rng.random())
                status = status_of()
                company_id = contact_id = None
                company_name = caller_name = position = email = None
                r = rng.random()
                if r < 0.35:  # a known contact called
                    contact_id = rng.randrange(1, 2 * self.m + 1)
                    company_id = (contact_id - 1) // 2 + 1
                    company_name = names[company_id - 1]
                    caller = self.contact_phone(contact_id)
                    caller_name = self._person(contact_id)
                    email = f"contacto{contact_id}@example.com" if contact_id % 3 else None
                else:
                    caller = None if r > 0.97 else _phone(
                        CALLER_PREFIXES[i % len(CALLER_PREFIXES)], rng.randrange(callers))
                    if r < 0.70:
                        company_id = rng.randrange(1, self.m + 1)
                        company_name = names[company_id - 1]
                    else:
                        company_name = f"{COMPANY_WORDS[i % 10]} {SURNAMES[i % 15]} sin contrato"
                    caller_name = self._person(i)
                    position = POSITIONS[i % len(POSITIONS)]
                    email = f"cliente{i}@example.com" if rng.random() < 0.4 else None
                open_case = status != "resolved"
                visit = status == "visit_scheduled" or (not open_case and rng.random() < 0.04)
                visit_at = created + timedelta(days=2) if visit else None
                severity = rng.choice((1, 2, 3)) if status != "incomplete" else None
                plan.append((created, caller, contact_id, open_case))
                yield (
                    i, numbers[i - 1], status, severity, company_id, contact_id, company_name,
                    caller_name, position, email, caller, caller,
                    str(rng.randrange(100, 999)) if rng.random() < 0.1 else None,
                    f"CA{i:032x}", 1, rng.random() < 0.3, rng.random() < 0.02,
                    "pending" if open_case else "done",
                    ts(created + timedelta(hours=4)),
                    rng.randrange(1, self.k + 1) if status != "incomplete" else None,
                    ts(visit_at), money(Decimal(rng.randrange(2000, 90000)) / 100) if visit
                    else None, ("confirmed" if open_case else "done") if visit else None,
                    ts(created), ts(created + timedelta(hours=rng.randrange(1, 200))),
                )

        self.timed("cases", ("id", "number", "status", "severity", "company_id", "contact_id",
                             "company_name", "caller_name", "caller_position", "email",
                             "caller_number", "callback_number", "callback_extension",
                             "origin_call_sid", "origin_seq", "out_of_hours", "urgent",
                             "callback_state", "due_at", "assigned_analyst_id", "visit_at",
                             "visit_cost", "visit_status", "created_at", "updated_at"),
                   generate())

        def calls() -> Iterator[tuple]:
            """One finished inbound call per case."""
            for i, (created, caller, contact_id, _open) in enumerate(plan, start=1):
                attempts = 1 if i % 5 == 0 else 0
                yield (f"CA{i:032x}", "inbound", caller, caller or "anonymous", "+12125550100",
                       None, "completed", 4, 120 + i % 600, contact_id, None, i, 14,
                       "answered" if attempts else "callback",
                       f"analyst:{i % self.k + 1}" if attempts else None, attempts,
                       10 if attempts else 0, ts(created) if attempts else None, ts(created),
                       ts(created + timedelta(minutes=5)), ts(created + timedelta(minutes=5)))

        self.timed("calls", ("call_sid", "direction", "from_number", "from_raw", "to_number",
                             "forwarded_from", "status", "status_seq", "duration", "contact_id",
                             "analyst_id", "case_id", "webhooks", "outcome", "answered_by",
                             "attempts", "ring_seconds", "hunt_started_at", "started_at",
                             "updated_at", "ended_at"), calls())

        def recordings() -> Iterator[tuple]:
            """A description for two cases in five."""
            for i, (created, _caller, _contact, _open) in enumerate(plan, start=1):
                if i % 5 in (1, 3):
                    at = ts(created + timedelta(minutes=3))
                    yield (i, f"RE{i:032x}", f"CA{i:032x}", i, "description",
                           f"https://api.twilio.com/2010-04-01/Accounts/ACbench/Recordings/"
                           f"RE{i:032x}", 20 + i % 90, "completed", at, at)

        self.timed("recordings", ("id", "recording_sid", "call_sid", "case_id", "kind", "url",
                                  "duration", "status", "created_at", "updated_at"),
                   recordings())

        def attempts() -> Iterator[tuple]:
            """One answered put-through for one case in five (the calls with attempts)."""
            for i, (created, _caller, _contact, _open) in enumerate(plan, start=1):
                if i % 5 == 0:
                    started = created + timedelta(minutes=2)
                    yield (i // 5, f"CA{i:032x}", 1, i, i % self.k + 1, None, f"CAleg{i:027x}",
                           "accepted", ts(started), ts(started + timedelta(seconds=9)),
                           ts(started + timedelta(minutes=3)))

        self.timed("dial_attempts", ("id", "call_sid", "seq", "case_id", "analyst_id",
                                     "emergency_contact_id", "dial_call_sid", "outcome",
                                     "started_at", "accepted_at", "ended_at"), attempts())

        def callbacks() -> Iterator[tuple]:
            """A call back, 10 minutes to 10 hours after the report, for every case sent to
            the callback queue (the calls without a put-through) that left it."""
            for i, (created, _caller, _contact, still_open) in enumerate(plan, start=1):
                if i % 5 != 0 and not still_open:
                    yield (i, i, "spoke", None,
                           ts(created + timedelta(minutes=rng.randrange(10, 600))))

        self.timed("callback_attempts", ("id", "case_id", "outcome", "note", "created_at"),
                   callbacks())


IDENTITY_TABLES = ("business_hours", "closures", "emergency_contacts", "analysts", "companies",
                   "contacts", "cases", "recordings", "dial_attempts", "callback_attempts")


def finish(engine: Engine) -> None:
    """Move identity sequences past the explicit ids; refresh statistics; tidy the files."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in IDENTITY_TABLES:
                conn.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"))
        # What autovacuum would do a little later: statistics and the visibility map now, so
        # that it does not start in the middle of a measurement.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        raw = engine.raw_connection()  # outside a transaction, as a checkpoint must be
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()


@click.command("bench.seed")
@click.option("--cases", "n_cases", type=click.IntRange(0, 9_000_000), required=True,
              help="How many cases to create.")
@click.option("--analysts", "n_analysts", type=click.IntRange(1, 100_000), default=80,
              show_default=True, help="Analysts, all available.")
@click.option("--companies", "n_companies", type=click.IntRange(1, 1_000_000), default=None,
              help="Client companies (default: cases/400, at least 10); two contacts each.")
@click.option("--numbers-file", type=click.Path(dir_okay=False), default=None,
              help="Write sample case numbers (existing and unused) here, as JSON.")
@click.option("--seven-digit-max", type=click.IntRange(0, 900_000), default=SEVEN_DIGIT_MAX,
              show_default=True, help="Cases numbered with 7 digits; the rest get 8.")
@click.option("--office-hours", is_flag=True,
              help="Keep the procedure's hours instead of opening 00:00-23:59 every day.")
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed.")
@click.option("--reset", is_flag=True,
              help="Drop every table first (only on a database whose name contains 'bench').")
def seed_command(n_cases, n_analysts, n_companies, numbers_file, seven_digit_max,
                 office_hours, seed, reset):
    """Fill a benchmark database with N realistic cases, using bulk inserts."""
    from ivr import create_app

    engine = create_app().extensions["ivr"].engine  # configured from the environment
    name = _database_name(engine)
    if reset:
        if "bench" not in name.lower():
            click.echo(f"error: --reset drops every table; refused on {name!r} "
                       "(the database's name must contain 'bench')", err=True)
            sys.exit(1)
        reset_database(engine)
    init_db(engine)
    with engine.connect() as conn:
        filled = [t.name for t in Base.metadata.sorted_tables
                  if conn.execute(select(func.count()).select_from(t)).scalar()]
    if filled and filled != ["business_hours"]:
        click.echo(f"error: {', '.join(filled)} already hold rows; use --reset on a benchmark "
                   "database", err=True)
        sys.exit(1)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM business_hours"))
    n_companies = n_companies or max(10, n_cases // 400)
    rng = random.Random(seed)
    now = utcnow().replace(microsecond=0)
    click.echo(f"bench.seed: {n_cases:,} cases, {n_analysts} analysts, {n_companies:,} "
               f"companies on {engine.dialect.name} ({name})")
    started = time.perf_counter()
    sample = min(SAMPLE, n_cases)
    numbers, missing = case_numbers(n_cases, sample or 100, rng, seven_digit_max)
    click.echo(f"  case numbers       {n_cases:>10,} made in "
               f"{time.perf_counter() - started:6.1f} s "
               f"({min(n_cases, seven_digit_max):,} of 7 digits)")
    seeder = Seeder(Loader(engine), n_cases, n_analysts, n_companies, rng, now)
    seeder.business_hours(always_open=not office_hours)
    names = seeder.people()
    seeder.cases(numbers, names)
    finish_started = time.perf_counter()
    finish(engine)
    click.echo(f"  vacuum/analyze     {'':>10} done in "
               f"{time.perf_counter() - finish_started:6.1f} s")
    elapsed = time.perf_counter() - started
    rows = sum(count for _t, count, _s in seeder.timings)
    click.echo(f"bench.seed: {rows:,} rows in {elapsed:.1f} s ({rows / elapsed:,.0f} rows/s, "
               f"{n_cases / elapsed:,.0f} cases/s)")
    if numbers_file:
        Path(numbers_file).parent.mkdir(parents=True, exist_ok=True)
        with engine.connect() as conn:
            max_attempt = conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM dial_attempts"))
            max_attempt = max_attempt.scalar()
        Path(numbers_file).write_text(json.dumps({
            "cases": n_cases,
            "existing": rng.sample(numbers, sample),
            "missing": missing,
            "companies": names[:200],
            "seeded_max_dial_attempt": max_attempt,
            "seed_seconds": round(elapsed, 2),
            "timings": [[t, c, round(s, 3)] for t, c, s in seeder.timings],
        }), encoding="utf-8")
        click.echo(f"  sample numbers written to {numbers_file}")


if __name__ == "__main__":
    seed_command(prog_name="python -m bench.seed")
