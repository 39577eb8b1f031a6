"""The address of the client behind a request, as the gateway in front of the function saw it.

Both gateways put the address that connected to them in ``requestContext.identity.sourceIp``:

- API Gateway (REST proxy integration): the client's address (for an edge-optimized API, the one
  CloudFront saw). ``X-Forwarded-For`` arrives too, but its leading entries are whatever the client wrote.
- Kong 3.9's aws-lambda plugin with ``awsgateway_compatible`` (``request-util.lua``): ``sourceIp =
  var.realip_remote_addr or var.remote_addr``. ``$realip_remote_addr`` is the peer's address *before*
  nginx's realip module replaces it with a forwarded one, so even with Kong's ``trusted_ips`` set it is the
  load balancer's address when Kong sits behind one (``kong.client.get_forwarded_ip()``, which Kong's own
  rate-limiting plugin uses, is the replaced one). The event's headers are the request's as Kong received
  them: ``X-Forwarded-For`` as the load balancer sent it (Kong adds its own only to proxied requests).

So the address is ``sourceIp``, unless that is one of ``TRUSTED_PROXIES``: then ``X-Forwarded-For`` is
read from the right, past every trusted proxy, to the first address a trusted proxy vouched for, as
nginx does with ``real_ip_recursive on`` (set Kong's ``trusted_ips`` to the same list). Entries left of
that one were written by the client and are never believed.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from storefront.http.request_meta import header_values

if TYPE_CHECKING:
    from ipaddress import IPv4Network, IPv6Network

UNKNOWN = "unknown"


@cache
def networks(setting: str) -> tuple[IPv4Network | IPv6Network, ...]:
    """The networks of a ``TRUSTED_PROXIES`` value; ValueError names an entry that is not one."""
    import ipaddress

    found = []
    for entry in (e.strip() for e in setting.split(",")):
        if entry:
            try:
                found.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network") from None
    return tuple(found)


def client_address(event: Mapping[str, Any], trusted_proxies: str = "") -> str:
    """The client's address for ``event`` (``"unknown"`` when the gateway gave none)."""
    identity = (event.get("requestContext") or {}).get("identity") or {}
    source = str(identity.get("sourceIp") or "") or UNKNOWN
    if not trusted_proxies.strip():
        return source
    trusted = networks(trusted_proxies)
    if not _is_trusted(source, trusted):
        return source
    forwarded = [a.strip() for v in header_values(event, "x-forwarded-for") for a in v.split(",")]
    address = source
    for entry in reversed([a for a in forwarded if a]):
        if not _is_address(entry):
            break  # no proxy writes this: the chain is unreadable from here, keep the last proxy's address
        address = entry
        if not _is_trusted(entry, trusted):
            break
    return address


def _is_address(value: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _is_trusted(address: str, trusted: tuple[IPv4Network | IPv6Network, ...]) -> bool:
    import ipaddress

    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed.version == network.version and parsed in network for network in trusted)
