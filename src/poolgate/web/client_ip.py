"""The client's IP address: the TCP peer, or ``X-Forwarded-For`` behind a trusted proxy.

``X-Forwarded-For`` is believed only when the peer is one of ``Settings.trusted_proxies``.
Then the header is read from the right, skipping addresses that are themselves trusted
proxies; the first untrusted address is the client (the rightmost one a trusted hop saw). A
header whose entries are not addresses is ignored, and the peer is the client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ClientAddress:
    """Resolves the effective client IP of a request from the peer and its headers."""

    def __init__(self, trusted_proxies: Sequence[str]) -> None:
        self._trusted: tuple[Network, ...] = tuple(
            ipaddress.ip_network(c, strict=False) for c in trusted_proxies
        )

    def _is_trusted(self, ip: str) -> bool:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in network for network in self._trusted)

    def resolve(self, peer: str | None, forwarded_for: str | None) -> str | None:
        """The client IP: ``peer`` unless it is a trusted proxy that sent ``X-Forwarded-For``."""
        if peer is None or not self._trusted or not forwarded_for or not self._is_trusted(peer):
            return peer
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        for hop in reversed(hops):
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                return peer
            if not self._is_trusted(hop):
                return hop
        return hops[0] if hops else peer
