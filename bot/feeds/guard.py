"""The SSRF guard: which URLs and addresses a chat-submitted (untrusted) feed may reach.

Two layers, both needed:

* ``check_url`` looks at the URL alone, before any request and again on every redirect hop:
  only ``http``/``https``, no user name or password, no ``localhost`` names, and a host written
  as an IP address in any form the C library accepts (``2130706433``, ``0177.0.0.1``,
  ``0x7f.1``, ``127.1``, ``[::ffff:127.0.0.1]``) is vetted like a resolved address.
* ``address_problem`` vets one IP address. The transport (``bot.feeds.transport``) resolves a
  host name once, vets every address it got, and connects to a vetted address itself, so a
  DNS answer that changes between the check and the connection (DNS rebinding) cannot slip
  through.

Refused: loopback, private (RFC 1918, ULA), link-local, multicast, reserved, unspecified,
shared (100.64/10) and documentation ranges, IPv4-mapped (``::ffff:a.b.c.d``) and
IPv4-compatible (``::a.b.c.d``) IPv6 addresses, and NAT64 / 6to4 addresses that embed a refused
IPv4 address. The reasons are written for the person who typed the URL.

Operator feeds (``Feed.trusted``) skip the guard; so does everything when the operator sets
``NEWSBRIEF_ALLOW_PRIVATE_URLS=true`` (tests). ``allowed_networks`` lets tests declare one
loopback address (e.g. ``127.0.0.2/32``) "public" so that a loopback server can stand in for
the internet while ``127.0.0.1`` stays refused.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from urllib.parse import SplitResult, urlsplit

from bot.core.errors import UnsafeURLError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_PUBLIC_ONLY = "only public internet addresses can be used"


def parse_ip(host: str) -> IPAddress | None:
    """The IP address ``host`` denotes, in any notation the C resolver accepts, else None.

    ``socket.inet_aton`` is used for IPv4 because it is what ``getaddrinfo`` applies to
    numeric hosts: decimal (``2130706433``), octal (``0177.0.0.1``), hex and short forms.
    """
    text = host.strip("[]")
    text = text.split("%", 1)[0]  # an IPv6 zone id (fe80::1%eth0) does not change the class
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if text and all(c in "0123456789abcdefxABCDEFX." for c in text):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


def _v4_problem(ip: ipaddress.IPv4Address) -> str | None:
    if ip.is_unspecified:
        return f"{ip} is the unspecified address"
    if ip.is_loopback:
        return f"{ip} is this computer (a loopback address)"
    if ip.is_link_local:
        return f"{ip} is a link-local address (such as a cloud metadata service)"
    if ip.is_multicast:
        return f"{ip} is a multicast address"
    if ip.is_reserved:
        return f"{ip} is a reserved address"
    if ip.is_private:
        return f"{ip} is a private network address"
    if not ip.is_global:
        return f"{ip} is a reserved address"
    return None


def _v6_problem(ip: ipaddress.IPv6Address) -> str | None:
    if ip.ipv4_mapped is not None:
        return f"{ip} is an IPv4-mapped IPv6 address"
    if int(ip) >> 32 == 0 and int(ip) > 1:
        return f"{ip} is an IPv4-compatible IPv6 address"
    embedded = None
    if ip in _NAT64:
        embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    elif ip.sixtofour is not None:
        embedded = ip.sixtofour
    if embedded is not None:
        inner = _v4_problem(embedded)
        return f"{ip} embeds {inner}" if inner else None
    if ip.is_unspecified:
        return f"{ip} is the unspecified address"
    if ip.is_loopback:
        return f"{ip} is this computer (a loopback address)"
    if ip.is_link_local or ip.scope_id:
        return f"{ip} is a link-local address"
    if ip.is_multicast:
        return f"{ip} is a multicast address"
    if ip.is_site_local or ip.is_private:
        return f"{ip} is a private network address"
    if ip.is_reserved or not ip.is_global:
        return f"{ip} is a reserved address"
    return None


def address_problem(ip: IPAddress, allowed: Sequence[Network] = ()) -> str | None:
    """Why ``ip`` must not be contacted for an untrusted feed, or None when it may be."""
    if any(ip.version == net.version and ip in net for net in allowed):
        return None
    if isinstance(ip, ipaddress.IPv4Address):
        return _v4_problem(ip)
    return _v6_problem(ip)


def refuse(problem: str) -> UnsafeURLError:
    """The error for a refused URL; ``str()`` is the reason shown to the user."""
    return UnsafeURLError(f"{problem}; {_PUBLIC_ONLY}")


def check_url(url: str, allowed: Sequence[Network] = ()) -> SplitResult:
    """Vet a URL without resolving it; return its parts or raise ``UnsafeURLError``.

    Host names are vetted after resolution, at connection time (``bot.feeds.transport``).
    """
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError as exc:
        raise UnsafeURLError("it is not a valid web address") from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise UnsafeURLError("only http:// and https:// addresses can be used")
    if not host:
        raise UnsafeURLError("the address has no host name")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURLError("addresses with a user name or password cannot be used")
    name = host.rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        raise refuse(f"{host} is this computer")
    ip = parse_ip(host)
    if ip is not None:
        problem = address_problem(ip, allowed)
        if problem:
            raise refuse(problem)
    return parts
