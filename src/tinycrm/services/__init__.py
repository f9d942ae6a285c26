"""Use cases shared by the CLI and the TUI: the only place that queries or writes.

One module per record (`contacts`, `companies`, `deals`, `activities`, `leads`, `orders`,
`tickets`, `kb`, `campaigns`, `users`, `stages`), and one package per larger job:
`reports/` (every figure), `imports/`, `reminders/` (remind, agenda, calendar export),
`demo/` and `backup/`. Finding records from what a user types is `refs`; the conditions
behind every list and export are `filters`; the app's paged read models are `board`.
"""
