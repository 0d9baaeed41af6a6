"""Import files: a JSON dump in the API's own shapes, checked, then stored at once.

The whole file is read and validated before the cache is touched, and then
written in one transaction: a broken file leaves the cache exactly as it was.
"""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from payg_tui import locations
from payg_tui.config import DEFAULT_IMPORT_MAX_FILE_MB
from payg_tui.engine.model import BillingError, Dump, slot_iso
from payg_tui.engine.periods import periods_between
from payg_tui.errors import DataContractError, UsageError
from payg_tui.gcpause import paused_gc
from payg_tui.providers.payload import ContractError, parse_dump
from payg_tui.service.intake import Clock, refuse_future, utc_now
from payg_tui.store.cache import ProviderChanged, Store
from payg_tui.store.synclock import sync_lock

MB = 2**20
# What `import` reads at most unless the setting `import.max_file_mb` says
# otherwise: a 5,000-account month is about 600 MB; /dev/zero is endless.
DEFAULT_MAX_FILE_MB = DEFAULT_IMPORT_MAX_FILE_MB
# Peak memory of an import per MB of file (benchmarks/bench_engine.py).
MEMORY_PER_MB = 8


def read_dump(path: Path) -> Dump:
    """Parse and validate an import file; errors name the file, snapshot and field."""
    with paused_gc():
        return _read_dump(path)


def _read_dump(path: Path, limit: int | None = None) -> Dump:
    document = _decode(path, _read_file(path, DEFAULT_MAX_FILE_MB * MB if limit is None else limit))
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


def _read_file(path: Path, limit: int) -> bytearray:
    """The file's bytes: a regular file of at most `limit` bytes, else one clear error.

    Opened without blocking and checked before reading, so that a FIFO, a
    device (`/dev/zero`) or a huge file is refused at once instead of hanging
    or filling the memory; and read to at most `limit` + 1 bytes, in case it
    grows meanwhile.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None
    try:
        return _read_open(path, fd, limit)
    finally:
        os.close(fd)


def _read_open(path: Path, fd: int, limit: int) -> bytearray:
    info = os.fstat(fd)
    if stat.S_ISDIR(info.st_mode):
        raise UsageError(f"{path} is a folder, not a dump file")
    if not stat.S_ISREG(info.st_mode):
        raise UsageError(f"{path} is not a regular file (a device, pipe or socket): import reads "
                         "a dump saved in a file")
    data = bytearray()
    try:
        while info.st_size <= limit and len(data) <= limit:
            chunk = os.read(fd, min(limit + 1 - len(data), 1 << 24))
            if not chunk:
                break
            data += chunk
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None
    if info.st_size > limit or len(data) > limit:
        raise DataContractError(
            f"{path}: {max(info.st_size, len(data)) / MB:,.1f} MB is more than the import limit of "
            f"{limit / MB:,.1f} MB (an import needs about {MEMORY_PER_MB} times its size in "
            "memory): split the dump, or raise `import.max_file_mb` with `payg-tui config set`")
    return data


def _decode(path: Path, data: bytearray) -> Any:
    try:
        # As json.loads(bytes) does, but the bytes are let go before the parse.
        text = data.decode(json.detect_encoding(data), "surrogatepass")
        del data
        return json.loads(text)
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


def import_dump(path: Path, *, demo: bool = False, cache: Path | None = None, replace: bool = False,
                max_bytes: int | None = None, now: Clock = utc_now) -> str:
    """Store the dump in the cache (with `demo`, only check it); returns a summary line.

    `replace` empties the cache first (after copying it beside itself), for
    data of another provider; without it such data is refused. `now` is the
    clock snapshots from the future are judged by.
    """
    with paused_gc():
        return _import(path, demo, cache, replace, max_bytes, now)


def _import(path: Path, demo: bool, cache: Path | None, replace: bool, max_bytes: int | None,
            now: Clock) -> str:
    dump = _read_dump(path, max_bytes)
    moment = now()
    refuse_future(dump.snapshots, moment, str(path))
    if demo:
        return (f"{path}: valid — {len(dump.snapshots)} snapshots, {len(dump.products)} products "
                "(--demo: nothing was stored)")
    target = cache or locations.cache_path()
    with Store.open(target) as store, sync_lock(target, doing="import"):
        backup = _backup(store) if replace and store.provider() is not None else None
        try:
            result = store.add_snapshots(dump.snapshots, provider=dump.provider, products=dump.products,
                                         updated=moment.astimezone(UTC), replace=replace)
        except ProviderChanged as error:
            raise DataContractError(
                f"{path}: {error.message.removesuffix('; nothing was stored')}: nothing was stored "
                f"(`payg-tui import --replace {path}` starts the cache afresh with it, keeping the old "
                "one as a backup)") from None
    kept = f"; the old cache is kept as {backup}" if backup is not None else ""
    if result.first is None or result.last is None:
        return f"imported {path}: provider and {len(dump.products)} products, no snapshot{kept}"
    return (f"imported {path}: {result.hours_added} new hours, {result.hours_replaced} replaced, "
            f"from {slot_iso(result.first)} to {slot_iso(result.last)}{kept}")


def _backup(store: Store) -> Path:
    """Copy the cache beside itself before `--replace` empties it: `cache.sqlite3.bak-20261202T0530Z`."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = store.path.with_name(f"{store.path.name}.bak-{stamp}")
    number = 1
    while target.exists():
        number += 1
        target = store.path.with_name(f"{store.path.name}.bak-{stamp}-{number}")
    store.backup(target)
    return target
