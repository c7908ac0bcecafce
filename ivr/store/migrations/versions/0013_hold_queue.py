"""The hold queue: callers waiting on the line, and the fault area of each skill."""

from pathlib import Path

from alembic import op

from ivr.store.engine import run_sql_file

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply the revision's SQL file."""
    run_sql_file(op.get_bind(), Path(__file__).with_suffix(".sql"))
