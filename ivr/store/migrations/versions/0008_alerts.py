"""Emergency alerts and each number's choice about written messages."""

from pathlib import Path

from alembic import op

from ivr.store.engine import run_sql_file

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply the revision's SQL file."""
    run_sql_file(op.get_bind(), Path(__file__).with_suffix(".sql"))
