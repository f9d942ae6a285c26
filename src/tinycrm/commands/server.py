"""`crm server …`: preparing a PostgreSQL team server so that it, not the client, holds
everyone to their role's grants."""

from __future__ import annotations

from tinycrm.commands.base import App
from tinycrm.commands.render import done
from tinycrm.context import describe, state
from tinycrm.words import plural

app = App(no_args_is_help=True)


@app.command("init")
def init() -> None:
    """Prepare the team server: owner, people and cron roles, row-level security on every
    table; run over an admin connection (CRM_DATABASE_URL), again after each upgrade."""
    from tinycrm.services.server import OWNER, PEOPLE, prepare_server

    st = state()
    db = st.database()
    with st.session(write=True) as session:
        report = prepare_server(session)
    logins = ", ".join(report.logins) or "none yet"
    done(
        f"team server ready: {describe(db)}: {plural(report.tables, 'table')} owned by {OWNER}, "
        f"row-level security on; people's logins (in {PEOPLE}): {logins}"
    )
