"""`payg-tui sandbox`: serve the API contract with generated data (cli.md)."""

from __future__ import annotations

import argparse
import sys

from payg_tui.errors import UsageError

HELP = "serve the hosting API with generated data on loopback (for demos and tests)"


def _accounts(text: str) -> int:
    if not text.isdigit() or not 10 <= int(text) <= 20_000:
        raise argparse.ArgumentTypeError("must be a whole number from 10 to 20000")
    return int(text)


def _port(text: str) -> int:
    if not text.isascii() or not text.isdigit() or int(text) > 65_535:
        raise argparse.ArgumentTypeError("must be a port number from 0 to 65535 (0: any free port)")
    return int(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default 127.0.0.1, loopback only)")
    parser.add_argument("--port", type=_port, default=0,
                        help="port to listen on (default 0: any free port, printed)")
    parser.add_argument("--accounts", type=_accounts, default=60,
                        help="hosting accounts of the generated reseller, 10 to 20000")
    parser.add_argument("--seed", type=int, default=1, help="the same seed serves the same history")
    parser.add_argument("--token", default="sandbox-token", help="the bearer token to require")
    parser.add_argument("--since", metavar="WHEN",
                        help="first hour served (default: the 1st of last month, local time)")
    parser.add_argument("--faults", metavar="SPEC",
                        help="misbehave at these rates, e.g. 429:0.1,503:0.05,slow:0.05")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")


def run(args: argparse.Namespace) -> int:
    from payg_tui.sandbox.server import parse_faults, start_sandbox

    try:
        faults = parse_faults(args.faults) if args.faults else None
    except ValueError as error:
        raise UsageError(f"--faults: {error}") from None
    start = _since(args.since) if args.since is not None else None
    print(f"payg-tui sandbox: generating {args.accounts} accounts...", file=sys.stderr)
    try:
        server = start_sandbox(args.host, args.port, accounts=args.accounts, seed=args.seed,
                               token=args.token, faults=faults, start=start,
                               log=None if args.quiet else _log)
    except OSError as error:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {error.strerror}") from None
    print(f"url:   {server.url}")
    print(f"token: {server.token}")
    print(f"try:   PAYG_API_URL={server.url} PAYG_API_TOKEN={server.token} payg-tui sync")
    print("Ctrl-C stops the sandbox.", flush=True)
    try:
        while server.serving:
            server.wait(0.5)
    except KeyboardInterrupt:
        print("\npayg-tui sandbox: stopped", file=sys.stderr)
    finally:
        server.shutdown()
    return 0


def _since(text: str) -> int:
    from datetime import UTC, datetime

    from payg_tui.engine.model import slot_of
    from payg_tui.service.sync import EARLIEST, LATEST

    for layout in ("%Y-%m-%d", "%Y-%m-%dT%H:00:00Z"):
        try:
            moment = datetime.strptime(text, layout).replace(tzinfo=UTC)
        except ValueError:
            continue
        if not EARLIEST <= moment.date() <= LATEST:
            raise UsageError(f"--since: {text!r:.60} is out of range "
                             f"(from {EARLIEST.isoformat()} to {LATEST.isoformat()})")
        return slot_of(moment)
    raise UsageError(f"--since: expected 2026-10-01 or 2026-10-01T05:00:00Z, got {text!r}")


def _log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
