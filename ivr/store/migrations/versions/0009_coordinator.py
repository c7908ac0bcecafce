"""What the coordinator's screens add: ring time per emergency phone, analysts' skills, and a
phone shared by several contacts of one company (uq_contacts_phone becomes an index).

SQLite cannot drop a constraint: `contacts` is rebuilt with Alembic's batch mode (foreign keys
off, as ivr/store/schema.py:upgrade runs every upgrade)."""

from pathlib import Path

from alembic import op

from ivr.store.engine import run_sql_file

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply the revision's SQL file, then turn the contacts' phone constraint into an index."""
    conn = op.get_bind()
    run_sql_file(conn, Path(__file__).with_suffix(".sql"))
    if conn.dialect.name == "postgresql":
        op.drop_constraint("uq_contacts_phone", "contacts", type_="unique")
    else:
        with op.batch_alter_table("contacts", recreate="always") as batch:
            batch.drop_constraint("uq_contacts_phone", type_="unique")
    op.create_index("ix_contacts_phone", "contacts", ["phone"])
