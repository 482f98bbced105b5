"""Password log-in limits that slow a guesser without locking anybody else out.

Failures are counted in the shared cache three ways:

* per (client address, account): after LOGIN_PAIR_FREE_FAILURES the pair waits
  LOGIN_BACKOFF_BASE_SECONDS, doubling with each further failure up to
  LOGIN_BACKOFF_MAX_SECONDS. This is what slows a guesser at the keyboard.
* per account (from every address): past LOGIN_ACCOUNT_FREE_FAILURES the same exponential
  wait applies to every address that has itself failed for that account, so a guesser
  cannot reset his back-off by switching addresses he already used. An address that has
  not failed for the account is not slowed: its owner's correct password still works, and
  the page offers the SMS-code log-in as the other way in.
* per client address, over all accounts: a looser ceiling (LOGIN_ADDRESS_FAILURE_RATE)
  against password spraying; a shared county office or mobile-carrier NAT makes far fewer
  failures than that.

A successful log-in clears its pair. Each failure is also stored (LoginFailure) for staff.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from apps.accounts.models import LoginFailure, User
from apps.core.http import client_ip

ADDRESS_GROUP = "accounts.login.address_failures"


@dataclass(frozen=True)
class LoginVerdict:
    allowed: bool
    retry_after: int = 0  # seconds until this address may try this account again


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _pair_key(ip: str, login: str) -> str:
    return f"login-limit:pair:{_digest(ip + '|' + login)}"


def _account_key(login: str) -> str:
    return f"login-limit:account:{_digest(login)}"


def _backoff(failures: int, free: int) -> int:
    if failures < free:
        return 0
    base, ceiling = settings.LOGIN_BACKOFF_BASE_SECONDS, settings.LOGIN_BACKOFF_MAX_SECONDS
    return min(ceiling, base * 2 ** min(failures - free, 30))


def _read(key: str) -> tuple[int, float]:
    value = cache.get(key)
    return (value["n"], value["at"]) if value else (0, 0.0)


def _bump(key: str, now: float) -> None:
    failures, _at = _read(key)
    cache.set(key, {"n": failures + 1, "at": now}, settings.LOGIN_FAILURE_MEMORY_SECONDS)


def _address_usage(request: HttpRequest, *, increment: bool):
    return get_usage(
        request,
        group=ADDRESS_GROUP,
        key=lambda group, req: client_ip(req),
        rate=settings.LOGIN_ADDRESS_FAILURE_RATE,
        increment=increment,
    )


def login_attempt_check(
    *, request: HttpRequest, login: str, now: float | None = None
) -> LoginVerdict:
    """May this client try a password for `login` (a normalised e-mail or phone) now?"""
    now = time.time() if now is None else now
    ip = client_ip(request)
    address = _address_usage(request, increment=False)
    if address is not None and address["count"] >= address["limit"]:
        return LoginVerdict(False, max(address["time_left"], 1))
    pair_failures, pair_at = _read(_pair_key(ip, login))
    if pair_failures == 0:
        return LoginVerdict(True)
    account_failures, _at = _read(_account_key(login))
    wait = max(
        _backoff(pair_failures, settings.LOGIN_PAIR_FREE_FAILURES),
        _backoff(account_failures, settings.LOGIN_ACCOUNT_FREE_FAILURES),
    )
    remaining = pair_at + wait - now
    if remaining > 0:
        return LoginVerdict(False, int(remaining) + 1)
    return LoginVerdict(True)


def login_failure_record(
    *, request: HttpRequest, login: str, user: User | None = None, now: float | None = None
) -> LoginFailure:
    now = time.time() if now is None else now
    ip = client_ip(request)
    _bump(_pair_key(ip, login), now)
    _bump(_account_key(login), now)
    _address_usage(request, increment=True)
    return LoginFailure.objects.create(
        login=login[:254],
        user=user,
        ip=ip or None,
        user_agent=request.headers.get("User-Agent", "")[:200],
    )


def login_success_record(*, request: HttpRequest, login: str) -> None:
    cache.delete(_pair_key(client_ip(request), login))
