"""Writing what tinycrm gives out: rows as CSV, JSON and JSON lines (`rows`, `csv`), record
streams for `crm export` (`records`), vCards (`vcard`), and files written privately and
whole (`outfile`)."""
