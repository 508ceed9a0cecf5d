"""The one way Admiral posts to a URL someone else chose (webhooks, later alert posts).

Server-side request forgery is refused twice: when a URL is saved (`check_url`, which also
resolves the name) and at every send (`SafeSender.post`), after resolving the name again, so a
name that later points at 127.0.0.1 is refused too. The request then goes to the checked IP
itself (the name stays in `Host` and in TLS's SNI and certificate check), so a second lookup
cannot swap the address between the check and the connection. Redirects are never followed;
connect and read timeouts are bounded.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

MAX_URL_LENGTH = 2000
EXCERPT_BYTES = 1000
RESOLVE_TIMEOUT_SECONDS = 5.0

# Cloud metadata services that are not already link-local or private.
_METADATA = {ipaddress.ip_address("fd00:ec2::254"), ipaddress.ip_address("100.100.100.200")}

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeURL(Exception):
    """A URL Admiral may not post to; the message says why (safe to show to the caller)."""


@dataclass(frozen=True, slots=True)
class Policy:
    allow_http: bool = False
    allow_private: bool = False


def refused_address(address: IPAddress) -> str | None:
    """Why `address` may not be posted to, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in _METADATA:
        return "a cloud metadata address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_unspecified or address.is_reserved:
        return "a reserved address"
    if address.is_private or not address.is_global:
        return "a private address"
    return None


def parse_url(url: str, policy: Policy) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL that may be used, or UnsafeURL."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeURL(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeURL("This is not a valid URL.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeURL("Give an https:// URL.")
    if scheme == "http" and not policy.allow_http:
        raise UnsafeURL("Only https:// URLs are allowed.")
    if parts.username or parts.password:
        raise UnsafeURL("The URL may not carry credentials.")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


async def resolve(host: str, port: int, policy: Policy) -> IPAddress:
    """The first address `host` resolves to, once every one of them was checked."""
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        found = [literal]
    else:
        try:
            async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
                infos = await asyncio.get_running_loop().getaddrinfo(
                    host, port, type=socket.SOCK_STREAM
                )
        except (OSError, TimeoutError):
            raise UnsafeURL(f"The name {host} does not resolve.") from None
        found = [ipaddress.ip_address(info[4][0]) for info in infos]
        if not found:
            raise UnsafeURL(f"The name {host} does not resolve.")
    if not policy.allow_private:
        for address in found:
            reason = refused_address(address)
            if reason is not None:
                raise UnsafeURL(f"The URL points to {reason}.")
    return found[0]


async def check_url(url: str, policy: Policy) -> None:
    _, host, port = parse_url(url, policy)
    await resolve(host, port, policy)


@dataclass(frozen=True, slots=True)
class Sent:
    status_code: int | None
    duration_ms: int
    error: str | None = None
    excerpt: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class SafeSender:
    """Posts bodies to checked addresses; one per process (it pools connections)."""

    def __init__(self, policy: Policy, *, connect_timeout: float, read_timeout: float) -> None:
        self.policy = policy
        self.client = httpx.AsyncClient(
            follow_redirects=False,
            timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
            trust_env=False,  # a proxy from the environment would bypass the address check
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        )

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Sent:
        started = time.perf_counter()

        def took() -> int:
            return int((time.perf_counter() - started) * 1000)

        try:
            scheme, host, port = parse_url(url, self.policy)
            address = await resolve(host, port, self.policy)
        except UnsafeURL as refusal:
            return Sent(None, took(), f"Refused: {refusal}")
        parts = urlsplit(url)
        ip = f"[{address}]" if address.version == 6 else str(address)
        target = urlunsplit((scheme, f"{ip}:{port}", parts.path or "/", parts.query, ""))
        default_port = port == (443 if scheme == "https" else 80)
        request_headers = {
            **headers,
            "Host": host if default_port else f"{host}:{port}",
            "Content-Type": "application/json",
            "User-Agent": "Admiral-Webhooks/1",
        }
        try:
            async with self.client.stream(
                "POST",
                target,
                content=body,
                headers=request_headers,
                extensions={"sni_hostname": host},
            ) as response:
                # Only an excerpt is kept: a huge answer is not read to its end.
                head = b""
                async for chunk in response.aiter_bytes():
                    head += chunk
                    if len(head) >= EXCERPT_BYTES:
                        break
        except httpx.TimeoutException:
            return Sent(None, took(), "Timed out.")
        except httpx.HTTPError as failure:
            return Sent(None, took(), f"Connection failed: {type(failure).__name__}.")
        excerpt = head[:EXCERPT_BYTES].decode("utf-8", "replace")
        problem = None if response.is_success else f"Answered HTTP {response.status_code}."
        return Sent(response.status_code, took(), problem, excerpt)

    async def close(self) -> None:
        await self.client.aclose()
