"""The user's settings: `config.toml` in the config dir (locations.config_path()).

```toml
[api]
url = "https://api.host.example/payg"
token = "..."
connect_timeout = 5.0
read_timeout = 30.0
request_timeout = 60.0   # one request, connecting to the last byte of the answer
max_page_mb = 64         # the largest answer accepted (after decompression)

[combell]
key = "..."
secret = "..."
url = "https://api.combell.com"

[alerts]
budget = "1500.00"      # the month's budget, in the provider's currency (optional)
warn_at = 80            # per cent of the budget that gives a warning
stale_after = 3         # hours without a new snapshot before `stale`
within = 12             # hours ahead that a grace deadline is announced
webhook = "https://hooks.example/..."   # a secret, like the token
```

Read with tomllib, written with tomli-w into a file created 0600 (temp file
+ os.replace, so a crash never leaves half a file and the secret is never
readable by others, not even for a moment). Sections and keys this module
does not know are kept as they are when saving: other parts of the app may
add their own.

Environment variables (cli.md) override the file: `PAYG_API_URL`,
`PAYG_API_TOKEN`, `PAYG_COMBELL_KEY`, `PAYG_COMBELL_SECRET`, `PAYG_ALERTS_WEBHOOK`. A `Config`
loaded with them applied remembers which keys came from the environment
(`overridden`) and refuses to be saved, so an override never leaks into the
file; the Settings screen loads with `apply_env=False` to edit the file.
"""

from __future__ import annotations

import contextlib
import ipaddress
import math
import os
import stat
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

from payg_tui import locations
from payg_tui.errors import UsageError

DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 30.0
DEFAULT_REQUEST_TIMEOUT = 60.0
DEFAULT_MAX_PAGE_MB = 64
_MAX_TIMEOUT = 3600.0
_MAX_PAGE_MB = 4096
DEFAULT_WARN_AT = 80  # per cent of the budget
DEFAULT_STALE_AFTER = 3  # hours
DEFAULT_WITHIN = 12  # hours
MAX_HOURS = 24 * 31  # a month: longer windows mean nothing for a monthly bill
# The largest dump `import` reads (see service/importing.py: an import needs
# several times the file's size in memory).
DEFAULT_IMPORT_MAX_FILE_MB = 1024
_MAX_IMPORT_MB = 1 << 20

# key -> (Config attribute, environment variable that overrides it, secret?)
_KEYS: dict[str, tuple[str, str | None, bool]] = {
    "api.url": ("api_url", "PAYG_API_URL", False),
    "api.token": ("api_token", "PAYG_API_TOKEN", True),
    "api.connect_timeout": ("connect_timeout", None, False),
    "api.read_timeout": ("read_timeout", None, False),
    "api.request_timeout": ("request_timeout", None, False),
    "api.max_page_mb": ("max_page_mb", None, False),
    "combell.key": ("combell_key", "PAYG_COMBELL_KEY", True),
    "combell.secret": ("combell_secret", "PAYG_COMBELL_SECRET", True),
    "combell.url": ("combell_url", None, False),
    "alerts.budget": ("alerts_budget", None, False),
    "alerts.warn_at": ("alerts_warn_at", None, False),
    "alerts.stale_after": ("alerts_stale_after", None, False),
    "alerts.within": ("alerts_within", None, False),
    "alerts.webhook": ("alerts_webhook", "PAYG_ALERTS_WEBHOOK", True),
    "import.max_file_mb": ("import_max_file_mb", None, False),
}
KNOWN_KEYS: tuple[str, ...] = tuple(_KEYS)
SECRET_KEYS: frozenset[str] = frozenset(k for k, (_, _, secret) in _KEYS.items() if secret)


@dataclass(frozen=True, slots=True)
class Config:
    """Settings after validation. Secrets are left out of `repr()`."""

    api_url: str | None = None
    api_token: str | None = field(default=None, repr=False)
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    max_page_mb: int = DEFAULT_MAX_PAGE_MB
    combell_key: str | None = field(default=None, repr=False)
    combell_secret: str | None = field(default=None, repr=False)
    combell_url: str | None = None
    alerts_budget: str | None = None  # a decimal string, kept as written in the file
    alerts_warn_at: int = DEFAULT_WARN_AT
    alerts_stale_after: int = DEFAULT_STALE_AFTER
    alerts_within: int = DEFAULT_WITHIN
    alerts_webhook: str | None = field(default=None, repr=False)  # its path is a secret
    import_max_file_mb: int = DEFAULT_IMPORT_MAX_FILE_MB
    overridden: frozenset[str] = frozenset()  # keys whose value came from the environment
    path: Path | None = None  # the file it was read from

    def get(self, key: str) -> Any:
        return getattr(self, _attribute(key))

    def with_value(self, key: str, value: Any) -> Config:
        """A copy with `key` set to `validate(key, value)`."""
        return replace(self, **{_attribute(key): validate(key, value)})

    def without(self, key: str) -> Config:
        """A copy with `key` back to its default (not set, for a key without one)."""
        attribute = _attribute(key)
        return replace(self, **{attribute: _DEFAULTS[attribute]})


_DEFAULTS: dict[str, Any] = {f.name: f.default for f in fields(Config)}


def _attribute(key: str) -> str:
    try:
        return _KEYS[key][0]
    except KeyError:
        raise UsageError(
            f"unknown config key {key!r}; known keys: {', '.join(KNOWN_KEYS)}"
        ) from None


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: the only hosts plain http:// may reach."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(value: str, what: str = "URL") -> str:
    """An https:// URL, or http:// on loopback; returned without a trailing slash."""
    text = value.strip()
    parts = _web_address(text, what, shown=f" (got {text!r:.200})")
    if parts.query or parts.fragment:
        raise UsageError(f"{what} must not have a query or fragment (got {text!r:.200})")
    return text.rstrip("/")


def _web_address(text: str, what: str, shown: str) -> SplitResult:
    """The checks every URL we send to shares: https:// (http:// only on loopback),
    a host, a valid port, no user name or password. `shown` ends each message: the
    URL quoted, or nothing for a secret one."""
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise UsageError(f"{what} is not a valid URL{shown}") from None
    if parts.scheme not in ("https", "http") or not host:
        raise UsageError(f"{what} must start with https://{shown}")
    if parts.username is not None or parts.password is not None:
        raise UsageError(f"{what} must not carry a user name or password")
    if parts.scheme == "http" and not is_loopback(host):
        raise UsageError(f"{what} must use https:// (plain http:// is allowed only for 127.0.0.1, "
                         f"::1 and localhost){shown}")
    return parts


def check_token(value: str, what: str = "token") -> str:
    """A secret sent in an HTTP header: visible ASCII, no spaces. Never echoed."""
    text = value.strip()
    if not text:
        raise UsageError(f"{what} is empty")
    if not all(33 <= ord(ch) <= 126 for ch in text):
        raise UsageError(
            f"{what} has characters an HTTP header cannot carry (spaces, control or "
            "non-ASCII characters); check that it was copied whole"
        )
    return text


def check_webhook(value: str, what: str = "webhook URL") -> str:
    """An https:// URL (http:// on loopback) for the alerts webhook.

    The whole URL is a secret (incoming-webhook URLs carry their key in the
    path or the query), so, unlike `check_url`, no message repeats it.
    """
    text = value.strip()
    parts = _web_address(text, what, shown="")
    if parts.fragment or not text.isprintable() or " " in text:
        raise UsageError(f"{what} must not have a fragment, spaces or control characters")
    return text


def mask_url(value: str | None) -> str:
    """How the webhook URL is shown: scheme and host, then only its length."""
    if not value:
        return "(not set)"
    parts = urlsplit(value)
    return f"{parts.scheme}://{parts.netloc}/…({len(value)} chars)"


def shown(key: str, value: Any) -> str:
    """A value as `config show` and `config set` print it: secrets masked."""
    if key == "alerts.webhook":
        return mask_url(value)
    if key in SECRET_KEYS:
        return mask(value)
    return "(not set)" if value is None else str(value)


def _hours(value: Any, key: str, most: int) -> int:
    """A whole number of hours, 1 to `most` (a TOML integer or its text)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= most:
        raise UsageError(f"{key} must be a whole number of hours from 1 to {most}, got {value!r:.60}")
    return value


def _percent(value: Any, key: str) -> int:
    """A whole percentage, 1 to 100: `80`, or `"80%"` from the command line."""
    if isinstance(value, str) and value.strip().rstrip("%").strip().isdigit():
        value = int(value.strip().rstrip("%"))
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100:
        raise UsageError(f"{key} must be a whole percentage from 1 to 100, got {value!r:.60}")
    return value


def _budget(value: Any, key: str) -> str:
    """A positive decimal string (`"1500"`, `"1500.00"`): money is never a float."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # a whole amount is exact as a TOML integer too
    if not isinstance(value, str):
        raise UsageError(f'{key} must be a decimal string such as "1500.00" (quoted: money is '
                         f"never a float), got {value!r:.60}")
    text = value.strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal("NaN")
    if not text.replace(".", "", 1).isdigit() or not amount.is_finite() or amount <= 0:
        raise UsageError(f'{key} must be a positive amount such as "1500.00", got {value!r:.60}')
    return text


def _timeout(value: Any, key: str) -> float:
    if isinstance(value, bool):
        raise UsageError(f"{key} must be a number of seconds, got {value!r}")
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"{key} must be a number of seconds, got {value!r:.60}") from None
    if not math.isfinite(seconds) or seconds <= 0 or seconds > _MAX_TIMEOUT:
        raise UsageError(f"{key} must be more than 0 and at most {_MAX_TIMEOUT:g} seconds, "
                         f"got {value!r:.60}")
    return seconds


def _megabytes(value: Any, key: str, most: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 64.0 from a TOML file written by hand
    text = "" if isinstance(value, bool) else str(value).strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= most:
        raise UsageError(f"{key} must be a whole number of MB from 1 to {most}, got {value!r:.60}")
    return int(text)


def validate(key: str, value: Any) -> Any:
    """The normalized value for `key`, or a `UsageError` saying what is wrong.

    Values may come as strings (command line, a text input) or as TOML
    values. Error messages never repeat a secret.
    """
    _attribute(key)
    if key in ("api.connect_timeout", "api.read_timeout", "api.request_timeout"):
        return _timeout(value, key)
    if key in ("alerts.stale_after", "alerts.within"):
        return _hours(value, key, MAX_HOURS)
    if key == "alerts.warn_at":
        return _percent(value, key)
    if key == "alerts.budget":
        return _budget(value, key)
    if key == "api.max_page_mb":
        return _megabytes(value, key, _MAX_PAGE_MB)
    if key == "import.max_file_mb":
        return _megabytes(value, key, _MAX_IMPORT_MB)
    if not isinstance(value, str):
        raise UsageError(f"{key} must be a string")
    if key in ("api.url", "combell.url"):
        return check_url(value, key)
    if key == "alerts.webhook":
        return check_webhook(value, key)
    if key in SECRET_KEYS:
        return check_token(value, key)
    raise AssertionError(key)  # pragma: no cover - every key is handled above


def mask(value: str | None) -> str:
    """How a secret is shown: `abcd…(32 chars)` when long, else `********`."""
    if not value:
        return "(not set)"
    if len(value) >= 20:
        return f"{value[:4]}…({len(value)} chars)"
    return "********"


def _read_document(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return locations.load_toml(handle)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as error:
        # The message carries "(at line L, column C)".
        raise UsageError(f"config file {path} is not valid TOML: {error}") from None
    except UnicodeDecodeError:
        raise UsageError(f"config file {path} is not valid UTF-8 text") from None
    except OSError as error:
        raise UsageError(f"cannot read config file {path}: {error.strerror or error}") from None


def load_config(
    path: Path | None = None,
    *,
    apply_env: bool = True,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """The settings from `path` (default: locations.config_path()), validated.

    A missing file is an empty config. With `apply_env`, the environment
    variables of cli.md override the file.
    """
    path = path or locations.config_path()
    doc = _read_document(path)
    values: dict[str, Any] = {}
    for key, (attribute, _, _) in _KEYS.items():
        section, name = key.split(".")
        table = doc.get(section, {})
        if not isinstance(table, dict):
            raise UsageError(f"config file {path}: [{section}] must be a table")
        if name in table:
            try:
                values[attribute] = validate(key, table[name])
            except UsageError as error:
                raise UsageError(f"config file {path}: {error.message}") from None
    overridden: set[str] = set()
    if apply_env:
        env = os.environ if environ is None else environ
        for key, (attribute, variable, _) in _KEYS.items():
            if variable and env.get(variable):
                try:
                    values[attribute] = validate(key, env[variable])
                except UsageError as error:
                    raise UsageError(f"{variable}: {error.message}") from None
                overridden.add(key)
    return Config(**values, overridden=frozenset(overridden), path=path)


def save_config(config: Config, path: Path | None = None) -> Path:
    """Write `config` to `path` (default: where it came from, else the config dir).

    Unknown sections and keys already in the file are kept. The file is
    replaced atomically and is readable by its owner only.
    """
    if config.overridden:
        raise UsageError(
            "this config holds values from the environment ("
            + ", ".join(sorted(config.overridden))
            + "); load it with apply_env=False to edit the file"
        )
    path = path or config.path or locations.config_path()
    doc = _read_document(path)
    for key, (attribute, _, _) in _KEYS.items():
        section, name = key.split(".")
        table = doc.setdefault(section, {})
        value = getattr(config, attribute)
        if value is None or (value == _DEFAULTS[attribute] and name not in table):
            table.pop(name, None)
        else:
            table[name] = value
        if not table:
            del doc[section]
    _write_private(path, doc)
    return path


def load_section(section: str, path: Path | None = None) -> dict[str, Any]:
    """A table of the file that `Config` does not hold (the dashboard's `[dashboard]`),
    as it is: its owner checks each value. Empty when missing or not a table."""
    table = _read_document(path or locations.config_path()).get(section, {})
    return table if isinstance(table, dict) else {}


def save_section(section: str, table: Mapping[str, Any], path: Path | None = None) -> Path:
    """Replace one table of the file, keeping everything else (atomically, 0600)."""
    path = path or locations.config_path()
    doc = _read_document(path)
    if table:
        doc[section] = dict(table)
    else:
        doc.pop(section, None)
    _write_private(path, doc)
    return path


def exposure(path: Path | None = None) -> str | None:
    """A warning when the config file holds a secret that other users can read.

    As ssh does for a private key: the file is created 0600, but a copy, an
    editor or a restore may have widened it. Any `config set` rewrites it 0600.
    """
    path = path or locations.config_path()
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if not stat.S_ISREG(mode) or not mode & 0o077:
        return None
    try:
        doc = _read_document(path)
    except UsageError:
        return None  # the command that reads it says what is wrong
    held = [key for key in sorted(SECRET_KEYS)
            if isinstance(doc.get(key.split(".")[0]), dict) and key.split(".")[1] in doc[key.split(".")[0]]]
    if not held:
        return None
    return (f"{path} holds {', '.join(held)} and other users can read it (mode {stat.S_IMODE(mode):04o}): "
            f"run `chmod 600 {path}`, or any `payg-tui config set`, which rewrites it readable by you only")


def _write_private(path: Path, doc: dict[str, Any]) -> None:
    import tomli_w

    data = tomli_w.dumps(doc).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file 0600 from the start.
    fd, temp = tempfile.mkstemp(prefix=".config-", suffix=".toml.tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o600)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def set_value(key: str, value: Any, path: Path | None = None) -> Config:
    """Validate `value`, store it under `key` in the config file, return the new config."""
    config = load_config(path, apply_env=False)
    updated = config.with_value(key, value)
    save_config(updated, path)
    return updated


def unset_value(key: str, path: Path | None = None) -> Config:
    """Remove `key` from the config file (back to its default)."""
    updated = load_config(path, apply_env=False).without(key)
    save_config(updated, path)
    return updated


def describe(config: Config) -> list[tuple[str, str, str]]:
    """(key, shown value, source) rows for `config show`; secrets masked."""
    rows = []
    for key, (attribute, variable, _) in _KEYS.items():
        value = getattr(config, attribute)
        if key in config.overridden:
            source = f"env {variable}"
        elif value is None or value == _DEFAULTS[attribute]:
            source = "default"
        else:
            source = "file"
        rows.append((key, shown(key, value), source))
    return rows
