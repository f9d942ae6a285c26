"""Settings: a TOML file in the platformdirs config dir, overridden by environment variables.

Nothing here imports SQLAlchemy: `crm --version` and `crm --help` read no settings at all,
and the cron path reads them cheaply.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from tinycrm.errors import CrmError

APP_NAME = "tinycrm"


def config_dir() -> Path:
    if home := os.environ.get("CRM_HOME"):
        return Path(home)
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    if home := os.environ.get("CRM_HOME"):
        return Path(home)
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def config_path() -> Path:
    return Path(os.environ.get("CRM_CONFIG") or config_dir() / "config.toml")


@dataclass(frozen=True)
class Settings:
    database_url: str = ""
    """SQLAlchemy URL; empty means the SQLite file `db_path`."""
    db_path: str = ""
    """SQLite file; empty means `crm.db` in the user data dir."""
    currency: str = "USD"
    """Currency of amounts entered without one (ISO 4217)."""
    timezone: str = ""
    """IANA zone used to show times and read dates; empty means the system's."""
    phone_region: str = ""
    """Default region (ISO 3166 code, e.g. CN) for phone numbers written without a country
    code; empty means the country of the user's locale, and with none a national number is
    kept as typed, never given an invented country."""
    yen_currency: str = ""
    """What `¥`/`￥` means in typed amounts: CNY or JPY; empty means from the locale."""
    workday_start: str = "09:00"
    """When a due date typed without a time of day is due (local time)."""
    user: str = ""
    """Who is acting (name or email of a user), recorded in stage history."""
    stale_days: int = 14
    """A deal with no activity for this many days counts as stale."""
    large_deal_amount: int = 10000
    """`crm remind` alerts on open deals worth at least this much (in `currency`)."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def region(self) -> str:
        """The region phone numbers without a country code are read in: `phone_region`
        (or the older `region` key), else the locale's country, else none ("")."""
        chosen = self.phone_region or str(self.extra.get("region") or "")
        return chosen.strip().upper() or locale_country()

    @property
    def url(self) -> str:
        if self.database_url:
            return self.database_url
        return "sqlite:///" + str(self.sqlite_path)

    @property
    def named_database(self) -> bool:
        """Whether a database was named (`--db`, CRM_DB, CRM_DATABASE_URL or the config
        file) rather than the default file, which is created on first use."""
        return bool(self.database_url or self.db_path)

    @property
    def sqlite_path(self) -> Path:
        return Path(self.db_path).expanduser() if self.db_path else data_dir() / "crm.db"


def locale_country() -> str:
    """The country of the user's locale (`zh_CN.UTF-8` -> `CN`), or "" when it names none."""
    _, _, country = _locale_name().partition("_")
    return country.upper() if len(country) == 2 and country.isalpha() else ""


def locale_language() -> str:
    """The language of the user's locale (`zh_CN.UTF-8` -> `zh`), or ""."""
    return _locale_name().partition("_")[0].lower()


def _locale_name() -> str:
    """`zh_CN` from the first of LC_ALL, LC_CTYPE, LANG that names a real locale (Python sets
    LC_CTYPE=C.UTF-8 itself when the locale is C, so C and POSIX are passed over)."""
    for var in ("LC_ALL", "LC_CTYPE", "LANG"):
        name = os.environ.get(var, "").split(".")[0].split("@")[0]
        if name and name not in ("C", "POSIX"):
            return name
    return ""


_ENV = {
    "CRM_DATABASE_URL": "database_url",
    "CRM_DB": "db_path",
    "CRM_USER": "user",
    "CRM_CURRENCY": "currency",
    "CRM_TIMEZONE": "timezone",
    "CRM_PHONE_REGION": "phone_region",
}


def load_settings(**overrides: Any) -> Settings:
    """Settings from the config file, then the environment, then explicit overrides.

    The database is chosen by the most specific source: `--db PATH`, then
    `CRM_DATABASE_URL`, then `CRM_DB`, then the config file, then the default file.
    """
    values: dict[str, Any] = {}
    path = config_path()
    if path.is_file():
        import tomllib  # only when there is a file: cron runs often have none

        try:
            values.update(tomllib.loads(path.read_text(encoding="utf-8")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise CrmError(f"config file {path}: {exc}") from None
    env = {key: os.environ[var] for var, key in _ENV.items() if os.environ.get(var)}
    if "db_path" in env and "database_url" not in env:
        values.pop("database_url", None)
    values.update(env)
    overrides = {k: v for k, v in overrides.items() if v not in (None, "")}
    if "db_path" in overrides:
        values["database_url"] = ""
    values.update(overrides)
    known = {f.name for f in fields(Settings)} - {"extra"}
    extra = {k: v for k, v in values.items() if k not in known}
    try:
        return Settings(**{k: v for k, v in values.items() if k in known}, extra=extra)
    except TypeError as exc:  # pragma: no cover - dataclass signature errors
        raise CrmError(f"config file {path}: {exc}") from None


def remember(key: str, value: str) -> Path:
    """Set a top-level `key = "value"` in the config file, keeping everything else in it
    (the app remembers who you are this way); the file is made if there is none."""
    import json
    import re

    path = config_path()
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    line = f"{key} = {json.dumps(value, ensure_ascii=False)}"  # a TOML basic string
    pattern = re.compile(rf"^{re.escape(key)}\s*=.*$", re.MULTILINE)
    first_table = re.search(r"^\[", text, re.MULTILINE)
    found = pattern.search(text)
    if found and (first_table is None or found.start() < first_table.start()):
        text = text[: found.start()] + line + text[found.end() :]
    else:
        text = line + "\n" + text
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
