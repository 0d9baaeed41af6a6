"""Where a report export may be written, and writing it without leaving debris.

The dashboard's export dialog checks the path before it closes (`target`),
so a wrong folder is one line in the dialog and an existing file is asked
about; the write itself checks again, since the disk may have changed since.

A folder that does not exist is refused, not created: a typo in a folder name
should not leave a new folder tree behind. The report goes to a temporary
file next to the target and is renamed over it, so a reader never sees half a
report; the temporary file is removed whatever happens.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from payg_tui.errors import UsageError


class ExportExists(UsageError):
    """The file is already there: the caller asks before replacing it."""


def target(path: Path, *, overwrite: bool = False) -> Path:
    """The absolute file to write, or a `UsageError` saying why it cannot be."""
    try:
        resolved = path.expanduser().resolve()
    except (OSError, RuntimeError) as error:  # RuntimeError: a symlink loop
        raise UsageError(f"cannot export to {path}: {error}") from None
    if resolved.is_dir():
        raise UsageError(f"cannot export to {resolved}: it is a folder; give a file name")
    if not resolved.parent.is_dir():
        raise UsageError(f"cannot export: the folder {resolved.parent} does not exist")
    if not overwrite and resolved.exists():
        raise ExportExists(f"cannot export: {resolved} already exists")
    return resolved


def write(path: Path, text: str, *, overwrite: bool = False) -> Path:
    """Write `text` to the file `target(path)` names; returns it."""
    final = target(path, overwrite=overwrite)
    temp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    try:
        with temp.open("x", encoding="utf-8") as handle:
            handle.write(text)
        if not overwrite and final.exists():  # appeared while we wrote
            raise ExportExists(f"cannot export: {final} already exists")
        temp.replace(final)
    except OSError as error:
        raise UsageError(f"cannot export to {final}: {error.strerror or error}") from None
    finally:
        with contextlib.suppress(OSError):
            temp.unlink(missing_ok=True)
    return final
