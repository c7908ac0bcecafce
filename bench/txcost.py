"""CPU of one call-row transaction (BEGIN, the upsert of ivr/calls.py, COMMIT) through ivr/sql.py.

The smallest piece of database work every webhook does, timed alone in a tight loop (CPU
time, best of five rounds): a steady figure for changes to the transaction and connection
handling, which the whole-flow measures (bench/micro.py, `make bench`) cannot resolve.

    python -m bench.txcost --database-url sqlite:////tmp/copy-of-bench.sqlite3
    python -m bench.txcost --database-url postgresql://postgres@127.0.0.1:5432/ivr_bench
"""

from __future__ import annotations

import argparse
import time

from ivr.config import normalise_database_url
from ivr.domain.clock import utcnow
from ivr.services.calls import CallParams, touch_call
from ivr.store.engine import make_engine
from ivr.store.tx import Tx


def main(argv: list[str] | None = None) -> int:
    """Print µs of CPU per transaction."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="a database with the schema")
    parser.add_argument("--n", type=int, default=3000, help="transactions per round")
    args = parser.parse_args(argv)
    engine = make_engine(normalise_database_url(args.database_url))
    params = CallParams("CAtxcost" + "0" * 26, "+582125551234", "+582125550000", "",
                        "inbound", "in-progress")

    def once() -> None:
        tx = Tx(engine)
        try:
            touch_call(tx, params, utcnow())
            tx.commit()
        finally:
            tx.close()

    best = float("inf")
    for _ in range(5):
        for _ in range(200):
            once()
        started = time.thread_time()
        for _ in range(args.n):
            once()
        best = min(best, (time.thread_time() - started) / args.n)
    print(f"{best * 1e6:.1f} µs of CPU per call-row transaction (best of 5 × {args.n})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
