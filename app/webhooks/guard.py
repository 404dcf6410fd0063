"""Keeps webhook deliveries off the operator's own network (server-side request forgery).

A URL must be http(s) with a host and no credentials, and every address its host resolves to
must be publicly routable, unless it falls in ``TIERLINE_WEBHOOK_ALLOWED_NETWORKS``. The check
runs when an endpoint is saved and again before each delivery (DNS may have changed), and the
delivery then connects to the address that was checked, so a rebinding DNS server gets no
second answer.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class UnsafeURL(ValueError):
    """The URL may not receive webhooks; the message says why."""


@dataclass(frozen=True, slots=True)
class Target:
    scheme: str
    host: str
    port: int
    address: IPAddress
    """The checked address to connect to."""


def check_form(url: str) -> tuple[str, str, int]:
    """Scheme, host and port of a well-formed http(s) URL without credentials."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeURL(f"not a valid URL: {error}") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL("the URL must start with http:// or https://")
    if not parts.hostname:
        raise UnsafeURL("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL("the URL must not carry credentials (user:password@)")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def _forbidden(address: IPAddress) -> str | None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for kind, hit in (
        ("loopback", address.is_loopback),
        ("unspecified", address.is_unspecified),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private or not address.is_global),
    ):
        if hit:
            return kind
    return None


def _allowed(address: IPAddress, allowed: Sequence[IPNetwork]) -> bool:
    return any(address.version == net.version and address in net for net in allowed)


async def resolve(url: str, allowed: Sequence[IPNetwork]) -> Target:
    """Resolves the URL's host and checks every address it gives; raises ``UnsafeURL``."""
    scheme, host, port = check_form(url)
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except OSError as error:
            raise UnsafeURL(f"the host '{host}' does not resolve: {error}") from None
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise UnsafeURL(f"the host '{host}' does not resolve")
    for address in addresses:
        kind = _forbidden(address)
        if kind is not None and not _allowed(address, allowed):
            raise UnsafeURL(
                f"the host '{host}' resolves to {address} ({kind}), which "
                "TIERLINE_WEBHOOK_ALLOWED_NETWORKS does not allow"
            )
    return Target(scheme, host, port, addresses[0])
