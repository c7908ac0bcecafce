"""CPU of one call-row transaction (BEGIN, the call's upsert, COMMIT): the one Tx of ivr/store
against the same statement through SQLAlchemy Core, side by side.

The smallest piece of database work every webhook does, timed alone in a tight loop (CPU
time, best of five rounds, the two ways interleaved round by round): the figure behind keeping
raw DB-API under ivr/store/tx.py rather than SQLAlchemy's `Connection`, and a steady figure for
changes to the transaction and connection handling, which the whole-flow measures
(bench/micro.py, `make bench`) cannot resolve.

    python -m bench.txcost --database-url sqlite:////tmp/copy-of-bench.sqlite3
    python -m bench.txcost --database-url postgresql://postgres@127.0.0.1:5432/ivr_bench
"""

from __future__ import annotations

import argparse
import time

from sqlalchemy import text

from ivr.config import normalise_database_url
from ivr.domain.clock import utcnow
from ivr.services.calls import CallParams, touch_call
from ivr.store.engine import make_engine
from ivr.store.tx import Tx

# The call-row upsert of ivr/store/calls.py, as SQLAlchemy text (compiled once and cached).
CORE_TOUCH = text(
    "INSERT INTO calls (call_sid, direction, from_number, from_raw, to_number, forwarded_from,"
    " status, webhooks, attempts, ring_seconds, started_at, updated_at)"
    " VALUES (:call_sid, :direction, :from_number, :from_raw, :to_number, :forwarded_from,"
    " :status, 1, 0, 0, :now, :now)"
    " ON CONFLICT (call_sid) DO UPDATE SET webhooks = calls.webhooks + 1, updated_at = :now"
    " RETURNING *")


def main(argv: list[str] | None = None) -> int:
    """Print µs of CPU per transaction, each way."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="a database with the schema")
    parser.add_argument("--n", type=int, default=3000, help="transactions per round")
    args = parser.parse_args(argv)
    engine = make_engine(normalise_database_url(args.database_url))
    params = CallParams("CAtxcost" + "0" * 26, "+582125551234", "+582125550000", "",
                        "inbound", "in-progress")

    def store_tx() -> None:
        tx = Tx(engine)
        try:
            touch_call(tx, params, utcnow())
            tx.commit()
        finally:
            tx.close()

    def core() -> None:
        with engine.begin() as conn:
            conn.execute(CORE_TOUCH, {
                "call_sid": params.call_sid, "direction": params.direction,
                "from_number": params.from_raw, "from_raw": params.from_raw,
                "to_number": params.to, "forwarded_from": None, "status": params.status,
                "now": utcnow()}).mappings().one()

    best = {"ivr.store Tx": float("inf"), "SQLAlchemy Core": float("inf")}
    for _ in range(5):
        for name, once in (("ivr.store Tx", store_tx), ("SQLAlchemy Core", core)):
            for _ in range(200):
                once()
            started = time.thread_time()
            for _ in range(args.n):
                once()
            best[name] = min(best[name], (time.thread_time() - started) / args.n)
    for name, seconds in best.items():
        print(f"{name:<16} {seconds * 1e6:7.1f} µs of CPU per call-row transaction "
              f"(best of 5 × {args.n})")
    extra = best["SQLAlchemy Core"] - best["ivr.store Tx"]
    print(f"Core costs {extra * 1e6:+.1f} µs per statement-transaction "
          f"({best['SQLAlchemy Core'] / best['ivr.store Tx']:.2f}×)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
