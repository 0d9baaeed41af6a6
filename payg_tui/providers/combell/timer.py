"""Hourly collection: a systemd user timer, or the equivalent crontab line.

The timer fires a minute past every hour, which leaves the run 59 minutes to
finish inside the hour it images. systemd never starts a service that is
still running, and `collect` itself refuses to run twice at once (a lock in
the cache dir), so a slow hour cannot pile up runs under cron either; an hour
that could not be collected is a missing hour, which billing bridges.
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

UNIT = "payg-tui-collect"
MINUTE = 1  # past every hour
PATH_VARIABLES = ("PAYG_TUI_CONFIG_DIR", "PAYG_TUI_CACHE_DIR")


@dataclass(frozen=True, slots=True)
class Installed:
    service: Path
    timer: Path
    crontab: str


def systemd_user_dir() -> Path:
    """~/.config/systemd/user, or under $XDG_CONFIG_HOME when set."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


def command_line(provider: str = "combell", api_url: str | None = None) -> list[str]:
    """How the timer runs `payg-tui collect`: the same interpreter as now."""
    script = Path(sys.executable).with_name("payg-tui")
    head = [str(script)] if script.exists() else [sys.executable, "-m", "payg_tui.cli"]
    tail = ["collect", "--provider", provider]
    if api_url:
        tail += ["--api-url", api_url]
    return head + tail


def _environment() -> dict[str, str]:
    """The path overrides in force now, so the timer uses the same config and cache."""
    return {name: os.environ[name] for name in PATH_VARIABLES if os.environ.get(name)}


def _systemd_quote(word: str) -> str:
    if word and all(ch.isalnum() or ch in "/._-:=+@," for ch in word):
        return word
    escaped = word.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")
    return f'"{escaped}"'


def service_unit(argv: list[str], environment: dict[str, str]) -> str:
    lines = [
        "[Unit]",
        "Description=payg-tui: take this hour's Combell snapshot",
        "Wants=network-online.target",
        "After=network-online.target",
        "",
        "[Service]",
        "Type=oneshot",
    ]
    lines += [f"Environment={_systemd_quote(f'{k}={v}')}" for k, v in sorted(environment.items())]
    lines.append("ExecStart=" + " ".join(_systemd_quote(word) for word in argv))
    return "\n".join(lines) + "\n"


def timer_unit() -> str:
    return "\n".join([
        "[Unit]",
        "Description=payg-tui: a Combell snapshot every hour",
        "",
        "[Timer]",
        f"OnCalendar=*-*-* *:{MINUTE:02d}:00",
        "AccuracySec=30s",
        "Persistent=false",
        "",
        "[Install]",
        "WantedBy=timers.target",
    ]) + "\n"


def crontab_line(argv: list[str], environment: dict[str, str]) -> str:
    env = " ".join(shlex.quote(f"{k}={v}") for k, v in sorted(environment.items()))
    command = " ".join(shlex.quote(word) for word in argv)
    # Keep stderr (progress, warnings, errors) in a log; `%` is a newline to cron.
    line = (f"{MINUTE} * * * * {env + ' ' if env else ''}{command} "
            '>/dev/null 2>>"$HOME/.payg-tui-collect.log"')
    return line.replace("%", "\\%")


def install(target: Path | None = None, *, api_url: str | None = None) -> Installed:
    """Write the service and timer units into `target` (default: systemd_user_dir())."""
    target = target or systemd_user_dir()
    argv = command_line(api_url=api_url)
    environment = _environment()
    target.mkdir(parents=True, exist_ok=True)
    service = target / f"{UNIT}.service"
    timer = target / f"{UNIT}.timer"
    service.write_text(service_unit(argv, environment), encoding="utf-8")
    timer.write_text(timer_unit(), encoding="utf-8")
    return Installed(service=service, timer=timer, crontab=crontab_line(argv, environment))
