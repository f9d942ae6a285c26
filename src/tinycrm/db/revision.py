"""The schema revision this code expects, importable without SQLAlchemy (the cron path reads
it to check a database with the standard library alone)."""

HEAD_REVISION = "0017"
"""The newest migration. A test keeps it equal to Alembic's head, so start-up need not load
Alembic to see that the schema is current."""
