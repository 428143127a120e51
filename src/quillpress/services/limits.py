"""The rate-limit rules: which keys each rule counts, and when (the counting itself is
``infra.limits``). Both adapters reach these only through the use cases and the one way
in, so REST and GraphQL count alike and a new write endpoint is limited by construction.

- **Failed logins**, three rules: per (account, client IP), per account from any IP (a
  higher ceiling, so nobody cheaply locks a victim out from many addresses), per client
  IP over every account. The *account* is the one the address found (its id, see
  :func:`login_account`), so every spelling of an address that reaches the account
  draws on one budget; an address that names no account is counted by its normalised
  form (``domain.emails``), never by the text sent. :func:`before_login` runs after
  that lookup and *before* the password is verified: while any of the three keys is
  exhausted every attempt for it is refused with 429, the right password included
  (otherwise the lockout would still confirm a guessed password). Only failures count
  (:func:`login_failed`); a successful login never does.
- **Registrations** per client IP, each attempt that reaches the use case.
- **Writes** per user: every unsafe authenticated operation (a REST POST/PUT/DELETE, a
  GraphQL mutation field), counted once, at the one way in
  (``services.authentication.authenticate``).
- **GraphQL query cost** per client (the user when signed in, else the IP), charged with
  the same estimate that ``QUILLPRESS_GRAPHQL_MAX_COST`` bounds (a search weighs
  ``api.graphql.protections.SEARCH_COST`` in it).
- **Searches** (REST ``?q=``) per client, likewise: each search the use case runs. An
  answer the response cache serves never reaches it (it costs no query).

A *lockout* is the failure that exhausts a failure rule's key. It calls :func:`on_lockout`
once per lockout (later attempts are refused before they count)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from quillpress.domain.auth import Principal
from quillpress.domain.clients import ClientInfo
from quillpress.domain.emails import normalized_email
from quillpress.domain.errors import RateLimited
from quillpress.infra.limits import Limiter
from quillpress.infra.resources import Store
from quillpress.repositories.users import AccountRow
from quillpress.services import audit

log = logging.getLogger("quillpress.limits")

UNKNOWN_IP = "unknown"  # no peer address (a Unix socket): one shared key, still limited


@dataclass(frozen=True, slots=True)
class LoginAccount:
    """Whom a login attempt is for, as the failure rules count it: ``key`` is
    ``user:<id>`` for an account, ``email:<normalised address>`` for an address that
    names none; ``label`` is what a lockout shows (``user:<username>`` or the address)."""

    key: str
    label: str


def login_account(account: AccountRow | None, email: str) -> LoginAccount:
    """The failure rules' account for a login with ``email`` whose lookup found
    ``account`` (or ``None``)."""
    if account is not None:
        return LoginAccount(key=f"user:{account.id}", label=f"user:{account.username}")
    normalized = normalized_email(email)
    return LoginAccount(key=f"email:{normalized}", label=normalized)


@dataclass(frozen=True, slots=True)
class Lockout:
    """A failure rule just ran out for this key: ``account`` (the
    :attr:`LoginAccount.label`) and/or ``ip``, whichever the rule counts."""

    rule: str
    limit: int
    window_seconds: int
    account: str | None
    ip: str | None


async def on_lockout(db: Store, lockout: Lockout, client: ClientInfo) -> None:
    """THE lockout hook, called once per lockout: one WARNING line, and an audit row
    (``rate.lockout``) in a short transaction of its own (there is no write to join)."""
    await audit.record_alone(
        db,
        action=audit.RATE_LOCKOUT,
        client=client,
        target=lockout.account or lockout.ip,
        outcome=audit.FAILURE,
        detail={"rule": lockout.rule, "limit": lockout.limit, "window": lockout.window_seconds},
    )
    log.warning(
        "rate limit lockout",
        extra={
            "rule": lockout.rule,
            "limit": lockout.limit,
            "window_seconds": lockout.window_seconds,
            "account": lockout.account,
            "ip": lockout.ip,
        },
    )


def _failure_keys(account: LoginAccount, ip: str | None) -> dict[str, tuple[str, ...]]:
    address = ip or UNKNOWN_IP
    return {
        "login_account_ip": (account.key, address),
        "login_account": (account.key,),
        "login_ip": (address,),
    }


async def before_login(limiter: Limiter, account: LoginAccount, ip: str | None) -> None:
    """``RateLimited`` while any failure rule is exhausted for this account or IP."""
    for rule, key in _failure_keys(account, ip).items():
        await limiter.check(rule, *key)


async def login_failed(
    db: Store, limiter: Limiter, account: LoginAccount, client: ClientInfo
) -> None:
    """Count one failed login against each failure rule; call :func:`on_lockout` for each
    key this failure exhausted. Never raises ``RateLimited`` itself: the failure is
    answered as what it is (401), and the next attempt gets the 429."""
    ip = client.ip
    for rule_name, key in _failure_keys(account, ip).items():
        try:
            window = await limiter.hit(rule_name, *key, report=True)
        except RateLimited:  # a concurrent failure filled it first: already locked out
            continue
        if window is not None and window.remaining == 0:
            rule = window.rule
            await on_lockout(
                db,
                Lockout(
                    rule=rule_name,
                    limit=rule.limit,
                    window_seconds=rule.item.get_expiry(),
                    account=account.label if rule_name != "login_ip" else None,
                    ip=(ip or UNKNOWN_IP) if rule_name != "login_account" else None,
                ),
                client,
            )


async def registration(limiter: Limiter, ip: str | None) -> None:
    await limiter.hit("register_ip", ip or UNKNOWN_IP)


async def writes(limiter: Limiter, principal: Principal, count: int) -> None:
    """Count ``count`` unsafe operations of ``principal`` (one per REST request, one per
    GraphQL mutation field)."""
    if count > 0:
        await limiter.hit("writes_user", str(principal.user_id), cost=count)


async def query_cost(
    limiter: Limiter, principal: Principal | None, ip: str | None, cost: int
) -> None:
    """Charge a GraphQL operation's estimated cost to the user, or to the IP when anonymous."""
    await limiter.hit("graphql_cost", _client(principal, ip), cost=max(cost, 1))


async def search(limiter: Limiter, principal: Principal | None, ip: str | None) -> None:
    """Count one full-text search against the user, or the IP when anonymous."""
    await limiter.hit("search", _client(principal, ip))


def _client(principal: Principal | None, ip: str | None) -> str:
    return f"user:{principal.user_id}" if principal is not None else f"ip:{ip or UNKNOWN_IP}"
