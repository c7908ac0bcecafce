"""The analysts' console: users, sessions, login failures, case notes, the audit trail."""

from pathlib import Path

from alembic import op

from ivr.store.engine import run_sql_file

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply the revision's SQL file."""
    run_sql_file(op.get_bind(), Path(__file__).with_suffix(".sql"))
