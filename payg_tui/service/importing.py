"""Import files: a JSON dump in the API's own shapes, checked, then stored at once.

The whole file is read and validated before the cache is touched, and then
written in one transaction: a broken file leaves the cache exactly as it was.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from payg_tui import locations
from payg_tui.engine.model import BillingError, Dump, slot_iso
from payg_tui.engine.periods import periods_between
from payg_tui.errors import DataContractError, UsageError
from payg_tui.gcpause import paused_gc
from payg_tui.providers.payload import ContractError, parse_dump
from payg_tui.store.cache import Store


def read_dump(path: Path) -> Dump:
    """Parse and validate an import file; errors name the file, snapshot and field."""
    with paused_gc():
        return _read_dump(path)


def _read_dump(path: Path) -> Dump:
    try:
        with path.open("rb") as handle:
            document = json.load(handle)
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a folder, not a dump file") from None
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None
    except json.JSONDecodeError as error:
        if not error.doc.strip():
            raise DataContractError(f"{path}: the file is empty, not a JSON dump") from None
        raise DataContractError(f"{path}: not valid JSON (line {error.lineno}, column {error.colno}: "
                                f"{error.msg})") from None
    except UnicodeDecodeError:
        raise DataContractError(f"{path}: not UTF-8 text") from None
    except RecursionError:
        raise DataContractError(f"{path}: not a dump: its JSON is nested too deeply") from None
    except ValueError as error:  # a number of more than 4,300 digits
        raise DataContractError(f"{path}: not a dump: {str(error).split(';')[0]}") from None
    try:
        dump = parse_dump(document)
    except ContractError as error:
        raise DataContractError(f"{path}: {error}") from None
    if dump.snapshots:
        try:
            periods_between(dump.snapshots[0].slot, dump.snapshots[-1].slot, dump.provider.timezone)
        except BillingError as error:
            raise DataContractError(f"{path}: provider.timezone: {error}") from None
    return dump


def import_dump(path: Path, *, demo: bool = False, cache: Path | None = None) -> str:
    """Store the dump in the cache (with `demo`, only check it); returns a summary line."""
    with paused_gc():
        return _import(path, demo, cache)


def _import(path: Path, demo: bool, cache: Path | None) -> str:
    dump = _read_dump(path)
    if demo:
        return (f"{path}: valid — {len(dump.snapshots)} snapshots, {len(dump.products)} products "
                "(--demo: nothing was stored)")
    with Store.open(cache or locations.cache_path()) as store:
        result = store.add_snapshots(dump.snapshots, provider=dump.provider, products=dump.products)
        store.mark_updated(datetime.now(UTC))
    if result.first is None or result.last is None:
        return f"imported {path}: provider and {len(dump.products)} products, no snapshot"
    return (f"imported {path}: {result.hours_added} new hours, {result.hours_replaced} replaced, "
            f"from {slot_iso(result.first)} to {slot_iso(result.last)}")
