"""One hourly image of a Combell reseller's accounts.

`GET /v2/servicepacks` (names), then `GET /v2/accounts` page by page
(`skip`/`take`, until `X-Paging-TotalResults` items were seen; a page may be
shorter than asked) while worker threads fetch `GET /v2/accounts/{id}` for
each listed account (its service pack and add-ons). The result is a
`engine.model.Snapshot`, built through `payload.parse_snapshot` so it is checked
like every other source. Any failure raises and leaves no partial image.

Identifiers (docs/combell.md): an account is `"<account id>"`; its product is
`pack:<service pack id>`. An add-on is keyed `"<account id>:<add-on id>"`
(Combell does not say whether an add-on id names one instance or a kind, so
the account is part of the key and two accounts never share an add-on); its
product is `addon:<add-on name>`, the one thing that names the kind either way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from payg_tui.engine.clock import slot_at, slot_seconds
from payg_tui.engine.model import Slot, Snapshot, slot_iso
from payg_tui.errors import DataContractError
from payg_tui.providers.combell.client import CombellClient, NotFound
from payg_tui.providers.combell.pacing import Clock
from payg_tui.providers.payload import ContractError, parse_snapshot

PAGE_SIZE = 100
PROGRESS_EVERY = 15.0  # seconds between progress lines


def pack_code(servicepack_id: int) -> str:
    return f"pack:{servicepack_id}"


def addon_code(name: str) -> str:
    return f"addon:{name}"


@dataclass(frozen=True, slots=True)
class Progress:
    """What a progress line says; `note` is set for one-off warnings."""

    accounts_done: int
    accounts_total: int | None
    requests: int
    elapsed: float
    eta: float | None  # seconds still needed, when it can be told
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Collection:
    snapshot: Snapshot
    pack_names: dict[str, str]  # product code -> Combell's name
    addon_names: dict[str, str]
    requests: int
    elapsed: float
    gone: int  # accounts listed but deleted before their detail was read
    late: bool  # finished after the end of its hour


class _Abort(Exception):
    pass


def collect(
    client: CombellClient,
    clock: Clock,
    *,
    slot: Slot | None = None,
    workers: int = 4,
    page_size: int = PAGE_SIZE,
    progress: Callable[[Progress], None] | None = None,
    progress_every: float = PROGRESS_EVERY,
) -> Collection:
    """Take the image for `slot` (default: the current UTC hour)."""
    started = clock()
    requests_before = client.requests
    if slot is None:
        slot = slot_at(started)
    deadline = slot_seconds(slot + 1)
    where = f"Combell snapshot {slot_iso(slot)}"
    run = _Run(client, clock, started, deadline, progress, progress_every)

    packs_json, _ = client.get("/v2/servicepacks")
    pack_names = _servicepack_names(packs_json)

    details: dict[int, dict[str, Any]] = {}
    order: list[int] = []
    seen: set[int] = set()
    gone = 0
    stop = threading.Event()

    def fetch(account_id: int) -> dict[str, Any] | None:
        if stop.is_set():
            raise _Abort
        try:
            body, _ = client.get(f"/v2/accounts/{account_id}")
        except NotFound:
            return None
        return _account_detail(body, account_id)

    pending: dict[Future[dict[str, Any] | None], int] = {}
    with ThreadPoolExecutor(max_workers=max(1, workers),
                            thread_name_prefix="combell") as pool:
        try:
            for ids, total in _pages(client, page_size):
                run.total = total
                for account_id in ids:
                    if account_id in seen:
                        continue  # listed twice: the list shifted under our paging
                    seen.add(account_id)
                    order.append(account_id)
                    pending[pool.submit(fetch, account_id)] = account_id
                gone += _harvest(pending, details, block=False)
                run.tick(len(details) + gone)
            run.listed = True
            while pending:
                gone += _harvest(pending, details, block=True)
                run.tick(len(details) + gone)
        except BaseException:
            stop.set()
            for future in pending:
                future.cancel()
            raise

    accounts = [_api_account(details[i]) for i in order if i in details]
    try:
        snapshot = parse_snapshot({"taken_at": slot_iso(slot), "accounts": accounts}, where)
    except ContractError as error:
        raise DataContractError(f"Combell API: {error}") from None
    addon_names = {p: p.removeprefix("addon:") for _, p in snapshot.addons.values()}
    for acc in details.values():
        pack = acc["servicepack"]
        pack_names.setdefault(pack_code(pack["id"]), pack.get("name") or pack_code(pack["id"]))
    elapsed = clock() - started
    run.finish(len(details) + gone)
    return Collection(snapshot=snapshot, pack_names=pack_names, addon_names=addon_names,
                      requests=client.requests - requests_before, elapsed=elapsed, gone=gone,
                      late=clock() > deadline)


def _harvest(pending: dict[Future[dict[str, Any] | None], int],
             details: dict[int, dict[str, Any]], *, block: bool) -> int:
    """Move finished detail requests into `details`; the number found gone."""
    if not pending:
        return 0
    done, _ = wait(list(pending), timeout=None if block else 0, return_when=FIRST_COMPLETED)
    gone = 0
    for future in done:
        account_id = pending.pop(future)
        detail = future.result()  # re-raises the worker's error
        if detail is None:
            gone += 1
        else:
            details[account_id] = detail
    return gone


def _pages(client: CombellClient, page_size: int) -> Any:
    """Yield (account ids, total) per page of `GET /v2/accounts`."""
    skip = 0
    total: int | None = None
    while total is None or skip < total:
        path = f"/v2/accounts?skip={skip}&take={page_size}"
        body, headers = client.get(path)
        total = _paging_total(headers, path)
        if not isinstance(body, list):
            raise DataContractError(f"Combell API: GET {path}: expected an array of accounts")
        ids = [_listed_id(item, path, i) for i, item in enumerate(body)]
        if not ids and skip < total:
            raise DataContractError(
                f"Combell API: GET {path}: empty page after {skip} of {total} accounts "
                "(the account list changed while it was read, or paging is broken)"
            )
        skip += len(ids)
        yield ids, total


def _paging_total(headers: Mapping[str, str], path: str) -> int:
    value = headers.get("X-Paging-TotalResults")
    try:
        total = int(value) if value is not None else -1
    except ValueError:
        total = -1
    if total < 0:
        raise DataContractError(
            f"Combell API: GET {path}: missing or bad X-Paging-TotalResults header"
        )
    return total


def _is_int(value: Any) -> bool:
    return type(value) is int


def _listed_id(item: Any, path: str, index: int) -> int:
    if not isinstance(item, dict) or not _is_int(item.get("id")):
        raise DataContractError(f"Combell API: GET {path}: item {index}: no integer 'id'")
    return int(item["id"])


def _servicepack_names(body: Any) -> dict[str, str]:
    return {pack_code(pid): name for pid, name in servicepack_ids(body).items()}


def servicepack_ids(body: Any) -> dict[int, str]:
    """`GET /v2/servicepacks` as Combell id -> name (the id when it has no name)."""
    if not isinstance(body, list):
        raise DataContractError("Combell API: GET /v2/servicepacks: expected an array")
    names: dict[int, str] = {}
    for i, pack in enumerate(body):
        if not isinstance(pack, dict) or not _is_int(pack.get("id")):
            raise DataContractError(
                f"Combell API: GET /v2/servicepacks: item {i}: no integer 'id'")
        name = pack.get("name")
        names[pack["id"]] = name if isinstance(name, str) and name else str(pack["id"])
    return names


def _account_detail(body: Any, account_id: int) -> dict[str, Any]:
    path = f"/v2/accounts/{account_id}"
    if not isinstance(body, dict) or body.get("id") != account_id or not _is_int(body["id"]):
        raise DataContractError(f"Combell API: GET {path}: 'id' is not {account_id}")
    identifier = body.get("identifier")
    if identifier is not None and not isinstance(identifier, str):
        raise DataContractError(f"Combell API: GET {path}: 'identifier' is not a string")
    pack = body.get("servicepack")
    if not isinstance(pack, dict) or not _is_int(pack.get("id")):
        raise DataContractError(f"Combell API: GET {path}: 'servicepack.id' missing")
    addons = body.get("addons")
    if addons is None:
        addons = []
    if not isinstance(addons, list):
        raise DataContractError(f"Combell API: GET {path}: 'addons' is not an array")
    for j, addon in enumerate(addons):
        if (not isinstance(addon, dict) or not _is_int(addon.get("id"))
                or not isinstance(addon.get("name"), str) or not addon["name"].strip()):
            raise DataContractError(
                f"Combell API: GET {path}: addons[{j}] needs an integer 'id' and a 'name'")
    return {"id": account_id, "identifier": identifier or "", "servicepack": pack,
            "addons": addons}


def _api_account(detail: dict[str, Any]) -> dict[str, Any]:
    """A Combell account detail in the shape of api.md's snapshot account."""
    account = str(detail["id"])
    addons = []
    seen: dict[str, int] = {}
    for addon in detail["addons"]:
        key = f"{account}:{addon['id']}"
        # If an add-on id names a kind, one account may hold it twice: number
        # the repeats so each stays its own item.
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            key = f"{key}#{seen[key]}"
        addons.append({"id": key, "product": addon_code(addon["name"].strip())})
    return {"id": account, "name": detail["identifier"], "customer": None,
            "pack": pack_code(detail["servicepack"]["id"]), "addons": addons}


class _Run:
    """Progress lines, and the warning when the image will not fit its hour."""

    def __init__(self, client: CombellClient, clock: Clock, started: float, deadline: float,
                 report: Callable[[Progress], None] | None, every: float) -> None:
        self.client = client
        self.requests_before = client.requests
        self.clock = clock
        self.started = started
        self.deadline = deadline
        self.report = report
        self.every = every
        self.total: int | None = None
        self.listed = False
        self.last = started
        self.warned = False

    def _eta(self, done: int) -> float | None:
        if self.total is None:
            return None
        left = max(self.total - done, 0)
        budget = self.client.pacer.estimate(left)
        elapsed = self.clock() - self.started
        observed = left * elapsed / done if done and elapsed > 0 else None
        known = [e for e in (budget, observed) if e is not None]
        return max(known) if known else None

    def tick(self, done: int) -> None:
        if self.report is None:
            return
        now = self.clock()
        eta = self._eta(done)
        if not self.warned and eta is not None and now + eta > self.deadline and done:
            self.warned = True
            self.report(self._line(done, eta, note=(
                f"at the pace the rate limit allows, this snapshot needs ~{eta / 60:.0f} more "
                f"min but its hour ends in {max(self.deadline - now, 0) / 60:.0f} min: "
                "it will finish late (it is still stored for the hour it started)")))
        if now - self.last >= self.every:
            self.last = now
            self.report(self._line(done, eta))

    def finish(self, done: int) -> None:
        if self.report is not None:
            self.report(self._line(done, 0.0))

    def _line(self, done: int, eta: float | None, note: str | None = None) -> Progress:
        return Progress(accounts_done=done, accounts_total=self.total,
                        requests=self.client.requests - self.requests_before,
                        elapsed=self.clock() - self.started, eta=eta, note=note)
