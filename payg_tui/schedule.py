"""Hourly runs of a payg-tui command: a systemd user timer, or the equivalent crontab line.

`collect` fires a minute past every hour, which leaves it 59 minutes to
finish inside the hour it images; `alerts` fires at ten past, after a small
reseller's collection has finished (a large one's still runs: the alerts
then see the hour before, which the 3-hour `stale` threshold allows).
systemd never starts a service that is still running, and `collect` itself
refuses to run twice at once (a lock in the cache dir), so a slow hour cannot
pile up runs under cron either.
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

PATH_VARIABLES = ("PAYG_TUI_CONFIG_DIR", "PAYG_TUI_CACHE_DIR")


@dataclass(frozen=True, slots=True)
class HourlyJob:
    """One command run every hour, and how its units and crontab line describe it."""

    name: str  # the command, also the unit's suffix: payg-tui-<name>
    minute: int  # past every hour
    args: tuple[str, ...]  # after `payg-tui`
    does: str  # the service's description: "take this hour's Combell snapshot"
    every: str  # the timer's description: "a Combell snapshot every hour"
    mail_output: bool = False  # cron mails what it prints (alerts); else stdout is dropped
    success_codes: tuple[int, ...] = ()  # exit codes that are not failures (alerts: 1)

    @property
    def unit(self) -> str:
        return f"payg-tui-{self.name}"


@dataclass(frozen=True, slots=True)
class Installed:
    service: Path
    timer: Path
    crontab: str


def systemd_user_dir() -> Path:
    """~/.config/systemd/user, or under $XDG_CONFIG_HOME when set."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


def command_line(args: tuple[str, ...]) -> list[str]:
    """How the timer runs `payg-tui ARGS`: the same interpreter as now."""
    script = Path(sys.executable).with_name("payg-tui")
    head = [str(script)] if script.exists() else [sys.executable, "-m", "payg_tui.cli"]
    return head + list(args)


def _environment() -> dict[str, str]:
    """The path overrides in force now, so the timer uses the same config and cache."""
    return {name: os.environ[name] for name in PATH_VARIABLES if os.environ.get(name)}


def _systemd_quote(word: str) -> str:
    if word and all(ch.isalnum() or ch in "/._-:=+@," for ch in word):
        return word
    escaped = word.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")
    return f'"{escaped}"'


def service_unit(job: HourlyJob, argv: list[str], environment: dict[str, str]) -> str:
    lines = [
        "[Unit]",
        f"Description=payg-tui: {job.does}",
        "Wants=network-online.target",
        "After=network-online.target",
        "",
        "[Service]",
        "Type=oneshot",
    ]
    if job.success_codes:
        lines.append("SuccessExitStatus=" + " ".join(str(code) for code in job.success_codes))
    lines += [f"Environment={_systemd_quote(f'{k}={v}')}" for k, v in sorted(environment.items())]
    lines.append("ExecStart=" + " ".join(_systemd_quote(word) for word in argv))
    return "\n".join(lines) + "\n"


def timer_unit(job: HourlyJob) -> str:
    return "\n".join([
        "[Unit]",
        f"Description=payg-tui: {job.every}",
        "",
        "[Timer]",
        f"OnCalendar=*-*-* *:{job.minute:02d}:00",
        "AccuracySec=30s",
        "Persistent=false",
        "",
        "[Install]",
        "WantedBy=timers.target",
    ]) + "\n"


def crontab_line(job: HourlyJob, argv: list[str], environment: dict[str, str]) -> str:
    env = " ".join(shlex.quote(f"{k}={v}") for k, v in sorted(environment.items()))
    command = " ".join(shlex.quote(word) for word in argv)
    # A job whose output is its message (alerts) lets cron mail it; the others
    # keep stderr (progress, warnings, errors) in a log. `%` is a newline to cron.
    tail = "" if job.mail_output else f' >/dev/null 2>>"$HOME/.{job.unit}.log"'
    line = f"{job.minute} * * * * {env + ' ' if env else ''}{command}{tail}"
    return line.replace("%", "\\%")


def install(job: HourlyJob, target: Path | None = None) -> Installed:
    """Write the service and timer units into `target` (default: systemd_user_dir())."""
    target = target or systemd_user_dir()
    argv = command_line(job.args)
    environment = _environment()
    target.mkdir(parents=True, exist_ok=True)
    service = target / f"{job.unit}.service"
    timer = target / f"{job.unit}.timer"
    service.write_text(service_unit(job, argv, environment), encoding="utf-8")
    timer.write_text(timer_unit(job), encoding="utf-8")
    return Installed(service=service, timer=timer, crontab=crontab_line(job, argv, environment))


def print_instructions(job: HourlyJob, installed: Installed, *, linger: str) -> None:
    """What to run next: enable the timer, or use the crontab line instead."""
    print(f"wrote {installed.service}")
    print(f"wrote {installed.timer}")
    print("enable it with:")
    print("  systemctl --user daemon-reload")
    print(f"  systemctl --user enable --now {job.unit}.timer")
    print(f"  loginctl enable-linger \"$USER\"   # {linger}")
    print("or, with cron instead, add this line to `crontab -e`:")
    print(f"  {installed.crontab}")
