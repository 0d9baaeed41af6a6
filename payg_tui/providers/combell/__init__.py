"""Combell (api.combell.com, API v2) as a source of hourly snapshots.

Combell publishes no usage history and no prices: `collect` takes one image of
the reseller's accounts per hour (`collector`), signed with Combell's HMAC
scheme (`auth`), paced by its rate-limit headers (`pacing`, `client`); the
reseller keeps the prices in `prices.toml` (`prices`). See docs/combell.md.
"""
