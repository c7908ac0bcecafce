"""Numbered schema migrations (Alembic, SQL revisions) applied by `flask init-db`."""
