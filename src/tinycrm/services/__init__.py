"""Use cases shared by the CLI and the TUI: the only place that queries or writes."""
