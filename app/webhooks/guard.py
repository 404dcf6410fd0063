"""Keeps webhook deliveries off the operator's own network (server-side request forgery).

A URL must be http(s) with a host and no credentials, and every address its host resolves to
must be publicly routable, unless it falls in ``TIERLINE_WEBHOOK_ALLOWED_NETWORKS``. The check
runs when an endpoint is saved and again before each delivery (DNS may have changed), and the
delivery then connects to the address that was checked, so a rebinding DNS server gets no
second answer.

IPv6 is admitted only in global unicast (``2000::/3``). An IPv6 address that carries an IPv4
one (NAT64, SIIT, IPv4-mapped or -compatible, 6to4, Teredo) reaches that IPv4 address through
a translator or tunnel, so it is judged as that IPv4 address: public, or in the allow list
(listing the IPv6 form does not admit it). Refusals name the kind of address, never the
addresses a name resolved to: those are the operator's internal DNS answers.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Lookup = Callable[[str, int], Awaitable[list[str]]]

_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_IPV4_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
_SIIT = ipaddress.IPv6Network("::ffff:0:0:0/96")


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


def _last_32_bits(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address] | None:
    """The IPv4 addresses an IPv6 address leads to through a translator or tunnel, or
    ``None`` when it carries none. ``::`` and ``::1`` are IPv6's own, not IPv4-compatible."""
    if address.teredo is not None:  # 2001::/32: the server, and the client's bits inverted
        return list(address.teredo)
    if address.sixtofour is not None:  # 2002::/16
        return [address.sixtofour]
    if any(address in network for network in (*_NAT64, _IPV4_MAPPED, _SIIT)):
        return [_last_32_bits(address)]
    if address in _IPV4_COMPATIBLE and int(address) > 1:
        return [_last_32_bits(address)]
    return None


def _forbidden_kind(address: IPAddress) -> str | None:
    """What makes an address unfit for webhooks, or ``None`` for a public one."""
    for kind, hit in (
        ("loopback", address.is_loopback),
        ("unspecified", address.is_unspecified),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private or not address.is_global),
    ):
        if hit:
            return kind
    if address.version == 6 and address not in _GLOBAL_UNICAST:
        return "private"
    return None


def _allowed(address: IPAddress, allowed: Sequence[IPNetwork]) -> bool:
    return any(address.version == net.version and address in net for net in allowed)


def _refusal(address: IPAddress, allowed: Sequence[IPNetwork]) -> str | None:
    """Why the address may not receive webhooks (its kind, not the address), or ``None``."""
    inner = embedded_ipv4(address) if isinstance(address, ipaddress.IPv6Address) else None
    if inner is not None:
        for ipv4 in inner:
            kind = _forbidden_kind(ipv4)
            if kind is not None and not _allowed(ipv4, allowed):
                return f"an IPv4 address embedded in IPv6 that is {kind}"
        return None
    kind = _forbidden_kind(address)
    if kind is None or _allowed(address, allowed):
        return None
    return f"an {kind} address" if kind[0] in "aeiou" else f"a {kind} address"


async def lookup_host(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for a host name."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def resolve(
    url: str, allowed: Sequence[IPNetwork], *, within: float, lookup: Lookup | None = None
) -> Target:
    """Resolves the URL's host with ``lookup`` (the system resolver when ``None``), in at most
    ``within`` seconds, and checks every address it gives; raises ``UnsafeURL``."""
    scheme, host, port = check_form(url)
    try:
        addresses: list[IPAddress] = [ipaddress.ip_address(host)]
    except ValueError:
        addresses = await _resolved(host, port, within, lookup or lookup_host)
    for address in addresses:
        reason = _refusal(address, allowed)
        if reason is not None:
            raise UnsafeURL(
                f"the URL's host resolves to {reason}, which "
                "TIERLINE_WEBHOOK_ALLOWED_NETWORKS does not allow"
            )
    return Target(scheme, host, port, addresses[0])


async def _resolved(host: str, port: int, within: float, lookup: Lookup) -> list[IPAddress]:
    try:
        async with asyncio.timeout(within):
            found = await lookup(host, port)
    except TimeoutError:
        raise UnsafeURL(f"the URL's host did not resolve within {within:g} s") from None
    except OSError as error:
        raise UnsafeURL(f"the URL's host does not resolve: {error.strerror or error}") from None
    if not found:
        raise UnsafeURL("the URL's host does not resolve")
    # A scoped IPv6 answer (fe80::1%eth0) is judged without its zone.
    return [ipaddress.ip_address(answer.split("%")[0]) for answer in found]
