"""The database: the store (engines, sessions, migrations), the plain-SQL handle the cron path
uses, and the small query pieces every list shares."""
