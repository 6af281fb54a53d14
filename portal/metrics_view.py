"""GET /metrics: Prometheus's text format, for the scraper only (docs/runbook.md section 3).

Served to a request that carries `Authorization: Bearer <METRICS_TOKEN>` (when the setting is not
empty), or that comes from a loopback or private address with every X-Forwarded-For hop private too
(a scraper beside the portal, not a visitor through the reverse proxy, which adds the visitor's
address). Everyone else gets 404, as if there were no such page."""

import hmac
import ipaddress

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from portal.core.metrics import scrape_registry

# Loopback, RFC 1918 and IPv6 unique-local addresses: where a scraper beside the portal stands.
PRIVATE_NETWORKS = [
    ipaddress.ip_network(n)
    for n in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "::1/128", "fc00::/7")
]


def _private(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network for network in PRIVATE_NETWORKS)


def metrics_allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    forwarded = request.headers.get("X-Forwarded-For")
    hops = forwarded.split(",") if forwarded is not None else []
    return _private(request.META.get("REMOTE_ADDR", "")) and all(_private(hop) for hop in hops)


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        raise Http404
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)
