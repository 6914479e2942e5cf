"""The database password stays in each node's environment, never in what travels to shards.

Against the session's PostgreSQL, whose ``baimo_pw`` role must log in with its password.
"""

from __future__ import annotations

import pytest

from baimo.errors import BaimoError
from baimo.store.store import Store, shareable_url, with_local_password


def test_the_shareable_url_has_no_password_and_names_the_same_database() -> None:
    url = "postgresql://alice:s3cret@db.example:5433/evals"
    shared = shareable_url(url)
    assert "s3cret" not in shared
    assert shared == "postgresql+psycopg://alice@db.example:5433/evals"
    assert shareable_url(shared) == shared
    assert shareable_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
    # libpq takes a password in the query string too.
    assert shareable_url("postgresql://alice@db/evals?password=s3cret&sslmode=require") == \
        "postgresql+psycopg://alice@db/evals?sslmode=require"


def test_the_password_comes_back_only_from_a_baimo_db_naming_the_same_database() -> None:
    shared = shareable_url("postgresql://alice:s3cret@db.example:5433/evals")
    same = {"BAIMO_DB": "postgres://alice:s3cret@db.example:5433/evals"}
    assert with_local_password(shared, same) == "postgresql+psycopg://alice:s3cret@db.example:5433/evals"
    for other in ("postgresql://alice:s3cret@db.example:5433/prod",   # another database
                  "postgresql://bob:s3cret@db.example:5433/evals",    # another user
                  "postgresql://alice:s3cret@elsewhere:5433/evals",   # another host
                  "postgresql://alice@db.example:5433/evals"):        # no password to give
        assert with_local_password(shared, {"BAIMO_DB": other}) == shared, other
    assert with_local_password(shared, {}) == shared


def test_a_real_password_login_works_from_the_nodes_environment(
        pg_password_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PGPASSWORD", raising=False)
    password = pg_password_db.split(":", 2)[2].split("@", 1)[0]
    shared = shareable_url(pg_password_db)
    assert password not in shared
    store = Store(with_local_password(shared, {"BAIMO_DB": pg_password_db}))
    try:
        assert store.runs.recent(1) == []
    finally:
        store.close()
    # Without it the server refuses, and the message says where the password belongs without
    # containing it.
    with pytest.raises(BaimoError) as err:
        Store(with_local_password(shared, {}))
    assert "no password supplied" in str(err.value)
    assert "BAIMO_DB" in str(err.value) and password not in str(err.value)
