"""Typer sub-apps, one per noun: parse options, call a service, render the result.

These modules import no SQLAlchemy, SQLModel or Textual at module level."""
