"""Who is calling: the client address, from X-Forwarded-For only through trusted proxies."""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[IpNetwork, ...]:
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies)


def _is_trusted(address: str, networks: tuple[IpNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def client_ip(request: HttpRequest) -> str:
    """The address of the client that made `request`.

    The socket's peer (REMOTE_ADDR) unless that peer is one of settings.TRUSTED_PROXIES (IPs or
    networks): then X-Forwarded-For is read from the right, each hop a trusted proxy vouches
    for, and the first hop that is not a trusted proxy is the client. A header sent by anyone
    else, or the spoofable left part of the chain, changes nothing.
    """
    remote = request.META.get("REMOTE_ADDR", "") or ""
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not networks or not _is_trusted(remote, networks):
        return remote
    client = remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for hop in reversed([part.strip() for part in forwarded.split(",") if part.strip()]):
        if not _is_ip(hop):
            break  # garbage in the chain: trust stops at the last proxy that wrote it
        client = hop
        if not _is_trusted(hop, networks):
            break
    return client


def client_ip_for_ratelimit(request: HttpRequest) -> str:
    """django-ratelimit's RATELIMIT_IP_META_KEY: the same address every limit counts under."""
    return client_ip(request) or "0.0.0.0"
