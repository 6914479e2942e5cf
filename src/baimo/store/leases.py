"""Leases: one process at a time may work on a name (an endpoint's monitor cycle, an eval run).

A lease is a row ``(name, owner, expires_at)`` taken and renewed in a transaction, so two
processes (two hosts, a cron job beside a daemon, a second terminal resuming a run that is
still going) never work on the same thing at once. The owner is ``host:pid``. A lease whose
owner died is taken over once it expires, or at once when the owner was a process of this
host that no longer exists (``kill -9`` and resume need not wait).

Why not a status column: a status says what a process meant to do, not whether it still
lives; a process killed with ``-9`` leaves "running" behind forever.
"""

from __future__ import annotations

import os
import socket
from typing import Any

import sqlalchemy as sa


def owner_id() -> str:
    """``host:pid``: who holds a lease (and, on this host, whether that process still lives)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_dead(owner: str) -> bool:
    """True when ``owner`` was a process of this host that no longer exists."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _insert_ignore_stmt(conn: sa.Connection, table: sa.Table) -> Any:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing()


class Leases:
    """The leases kept in ``table``, keyed by its column ``key`` (with ``owner`` and
    ``expires_at`` columns)."""

    def __init__(self, engine: sa.Engine, table: sa.Table, key: str) -> None:
        self.engine = engine
        self.table = table
        self.key = table.c[key]

    def acquire(self, name: str, owner: str, now: float, ttl_s: float) -> bool:
        """Take (or renew) ``name``'s lease until ``now + ttl_s``; False if another holds it.

        One conditional UPDATE (free, expired, or ours) or one INSERT, each in its own
        transaction: whichever of two processes commits first wins, the other sees 0 rows
        updated or a primary-key conflict.
        """
        t, key = self.table, self.key
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(t).where(key == name)).mappings().first()
            if row is None:
                # ON CONFLICT DO NOTHING: of two processes inserting at once, one row counts.
                conn.execute(_insert_ignore_stmt(conn, t), {
                    key.name: name, "owner": owner, "expires_at": now + ttl_s})
                # Whose row is it now? (The drivers' rowcount for ON CONFLICT differs.)
                won = conn.execute(sa.select(t.c.owner).where(key == name)).scalar()
                return bool(won == owner)
            holder = str(row["owner"])
            if holder != owner and float(row["expires_at"]) > now and not owner_dead(holder):
                return False
            res = conn.execute(t.update().where(
                key == name, t.c.owner == holder,
                t.c.expires_at == row["expires_at"]).values(owner=owner, expires_at=now + ttl_s))
            return bool(res.rowcount == 1)

    def renew(self, name: str, owner: str, now: float, ttl_s: float, **values: Any) -> bool:
        """Extend our lease (and set ``values``); False when it is no longer ours."""
        t = self.table
        with self.engine.begin() as conn:
            res = conn.execute(t.update().where(self.key == name, t.c.owner == owner).values(
                expires_at=now + ttl_s, **values))
            return bool(res.rowcount == 1)

    def release(self, name: str, owner: str) -> None:
        t = self.table
        with self.engine.begin() as conn:
            conn.execute(t.delete().where(self.key == name, t.c.owner == owner))

    def holder(self, name: str) -> tuple[str, float] | None:
        """``(owner, expires_at)`` of ``name``'s lease, if one is stored."""
        t = self.table
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.c.owner, t.c.expires_at).where(self.key == name)
                               ).first()
        return None if row is None else (str(row[0]), float(row[1]))
