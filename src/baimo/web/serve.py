"""``baimo serve``: checks before listening, user tokens, and uvicorn.

Refusing a non-loopback host without auth is the one decision made here: in single-user mode
whoever reaches the port has every role (including starting jobs that spend API money), so
that mode may only be reachable from this machine.
"""

from __future__ import annotations

from pathlib import Path

from baimo.errors import BaimoError
from baimo.web.security import is_loopback, new_token, token_hash


def check_host(host: str, auth: bool) -> None:
    """Raise unless ``host`` is loopback or team mode (``auth``) is on."""
    if auth or is_loopback(host):
        return
    raise BaimoError(
        f"refusing to listen on {host} without authentication: in single-user mode anyone "
        "who can reach the port gets every role, including starting runs. To serve a team, "
        "create an admin token with 'baimo serve --add-user NAME --role admin', then start "
        f"with 'baimo serve --auth --host {host}' (and BAIMO_DB=postgresql://... for a shared "
        "store). To stay single-user, use --host 127.0.0.1.")


def add_user(name: str, role: str, db_url: str | None = None) -> str:
    """Create a user (or a new token for an existing one); returns the token, shown once."""
    from baimo.store.store import Store
    from baimo.store.web import ROLES, WebRepository

    if role not in ROLES:
        raise BaimoError(f"--role must be one of {', '.join(ROLES)}, got '{role}'")
    store = Store(db_url)
    try:
        web = WebRepository(store.engine)
        user = web.user_by_name(name)
        if user is None:
            user = web.add_user(name, role)
        elif user.role != role:
            raise BaimoError(f"user '{name}' exists with the role {user.role}; give that role "
                             "to get another token for it")
        token = new_token()
        web.add_token(user.id, token_hash(token), label="cli")
        return token
    finally:
        store.close()


def serve(host: str, port: int, *, auth: bool, config: Path | None, slots: int,
          db_url: str | None = None, secure_cookies: bool = False) -> None:
    """Check, then run the app on uvicorn until interrupted."""
    check_host(host, auth)
    try:
        import fastapi  # noqa: F401
        import uvicorn
    except ModuleNotFoundError:
        from baimo.errors import MissingDependency

        raise MissingDependency("fastapi", "web", "the web workspace (baimo serve)") from None

    from baimo.store.store import Store
    from baimo.store.web import WebRepository
    from baimo.web.app import create_app
    from baimo.web.http import Settings

    store = Store(db_url)
    if auth and WebRepository(store.engine).n_active_admins() == 0 and not \
            WebRepository(store.engine).users():
        store.close()
        raise BaimoError("--auth needs at least one user: create an admin with 'baimo serve "
                         "--add-user NAME --role admin' (it prints the token once)")
    settings = Settings(db_url=store.url, auth=auth, config_path=config, job_slots=slots,
                        secure_cookies=secure_cookies)
    app = create_app(settings, store)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    store.close()
