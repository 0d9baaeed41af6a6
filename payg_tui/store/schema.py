"""The cache's schema and its migrations.

Presence is stored as runs (`runs`: an item on one product from one snapshot
to another), not as a row per item-hour: a month of a 5,000-account reseller
is some 15,000 rows instead of nine million. `hours` holds the observed
hours as runs of consecutive slots; the gaps between them are missing hours.

`PRAGMA application_id` marks the file as ours; `PRAGMA user_version` is the
schema version. Each migration moves the schema one version up.
"""

from __future__ import annotations

APPLICATION_ID = 0x50415947  # "PAYG"

MIGRATIONS: list[str] = [
    # 1: the first schema.
    """
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE provider (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        name TEXT NOT NULL,
        currency TEXT NOT NULL,
        currency_exponent INTEGER NOT NULL,
        timezone TEXT NOT NULL
    );
    CREATE TABLE products (
        code TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('service_pack', 'addon')),
        name TEXT NOT NULL
    );
    CREATE TABLE prices (
        code TEXT NOT NULL REFERENCES products (code) ON DELETE CASCADE,
        effective_from INTEGER NOT NULL,
        monthly TEXT NOT NULL,
        PRIMARY KEY (code, effective_from)
    );
    CREATE TABLE hours (
        first INTEGER PRIMARY KEY,
        last INTEGER NOT NULL
    );
    CREATE TABLE items (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('account', 'addon')),
        key TEXT NOT NULL,
        account_id TEXT NOT NULL,
        seen INTEGER NOT NULL,
        UNIQUE (kind, key)
    );
    CREATE TABLE runs (
        item INTEGER NOT NULL REFERENCES items (id),
        product TEXT NOT NULL,
        first INTEGER NOT NULL,
        last INTEGER NOT NULL
    );
    CREATE INDEX runs_by_last ON runs (last);
    CREATE INDEX runs_by_item ON runs (item, first);
    CREATE TABLE labels (
        account_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        customer TEXT,
        seen INTEGER NOT NULL
    );
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
