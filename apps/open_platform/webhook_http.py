"""Sending a webhook without letting a subscriber point us at our own network (SSRF).

A target must be http(s) and every address its host resolves to must be public; loopback is
let through only with settings.WEBHOOK_ALLOW_LOOPBACK (tests, bench). The check runs when a
subscription is saved and again at each delivery, and the request then connects to the very
address that was checked (the Host header and TLS name stay the URL's), so a DNS answer that
changes between the check and the connection (rebinding) cannot redirect it. Redirects are not
followed.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

MAX_RESPONSE_BYTES = 2000


class UrlRefused(ValueError):
    """The target is not one we may call; the message says why (in Chinese, for the owner)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked IP the request connects to


def _address_allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return bool(settings.WEBHOOK_ALLOW_LOOPBACK)
    return ip.is_global and not ip.is_multicast


def target_resolve(url: str) -> Target:
    """Check `url` and resolve its host; raise UrlRefused unless every address is allowed."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlRefused(_("地址格式不正确。")) from exc
    if parts.scheme not in ("http", "https"):
        raise UrlRefused(_("只接受 http 或 https 地址。"))
    if not parts.hostname:
        raise UrlRefused(_("地址缺少主机名。"))
    if parts.username or parts.password:
        raise UrlRefused(_("地址中不能包含用户名或密码。"))
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UrlRefused(_("无法解析主机名 %(host)s。") % {"host": parts.hostname}) from exc
    addresses = [info[4][0] for info in infos]
    refused = [address for address in addresses if not _address_allowed(address)]
    if not addresses or refused:
        raise UrlRefused(
            _("地址 %(host)s 指向内网、本机或保留地址（%(address)s），不能作为接收地址。")
            % {"host": parts.hostname, "address": (refused or ["?"])[0]}
        )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(parts.scheme, parts.hostname, port, path, addresses[0])


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    body: str
    error: str
    duration_ms: int


def post(url: str, *, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to `url` (checked again now, connecting to the checked address)."""
    started = time.monotonic()

    def done(status_code: int | None, text: str = "", error: str = "") -> Answer:
        return Answer(status_code, text, error[:500], round((time.monotonic() - started) * 1000))

    try:
        target = target_resolve(url)
    except UrlRefused as exc:
        return done(None, error=str(exc))
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(target, timeout=timeout)
    else:
        connection = _PinnedHTTPConnection(target, timeout=timeout)
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": _host_header(target), "Connection": "close"},
        )
        response = connection.getresponse()
        text = response.read(MAX_RESPONSE_BYTES).decode("utf-8", errors="replace")
        return done(response.status, text)
    except (OSError, http.client.HTTPException) as exc:
        return done(None, error=f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()


def _host_header(target: Target) -> str:
    default = 443 if target.scheme == "https" else 80
    host = f"[{target.host}]" if ":" in target.host else target.host
    return host if target.port == default else f"{host}:{target.port}"


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, *, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, *, timeout: float) -> None:
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)
