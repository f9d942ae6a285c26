"""Textual screens, one per file, each calling services in workers (the terminal app)."""
