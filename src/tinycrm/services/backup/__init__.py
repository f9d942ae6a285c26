"""Backups: every table of the schema in one portable archive (`dump`), and that archive
loaded into an empty SQLite or PostgreSQL database (`restore`).

`archive` is the file format (a zip of JSON lines per table and a manifest) and how each
column type is written in it; `tables` says which tables a backup holds, in which order
they load, and what is derived data (SQLite's full-text index) that is rebuilt instead.
"""
