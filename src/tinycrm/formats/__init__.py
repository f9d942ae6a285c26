"""Files in and out, for both faces: `read/` turns what `crm import` is given into records
with canonical field names; `write/` turns rows into CSV, JSON, JSON lines and vCard, and
writes files privately and whole. `cells` holds the spreadsheet-formula rule both sides share.

Pure functions over streams and plain values: no database, no terminal UI.
"""
