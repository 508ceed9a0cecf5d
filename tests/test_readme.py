"""The README is the newcomer's entry point: its configuration table must match the code, and
its code examples run."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from app.kit import clock
from app.settings import Settings
from tests.helpers import GraphQL, World, gid
from tests.licenses.support import LICENSE_ISSUE, SIGNING_KEY_ROTATE, new_license

README = Path(__file__).parents[1] / "README.md"


def test_readme_starts_with_the_two_commands() -> None:
    text = README.read_text()
    first_section = text.split("## ", 2)[1]
    assert "scripts/serve" in first_section
    assert "scripts/test" in first_section


def test_every_setting_is_in_the_configuration_table() -> None:
    documented = dict(
        re.findall(r"^\| `(ADMIRAL_[A-Z_0-9]+)` \| ([^|]+) \|", README.read_text(), re.M)
    )
    for name, default, _ in Settings.describe():
        assert name in documented, f"{name} missing from the README configuration table"
        shown = documented[name].strip().strip("`")
        expected = "(none)" if default in ("None", "") else default
        assert shown == expected, f"{name}: README says {shown!r}, code says {expected!r}"
    assert set(documented) == {name for name, _, _ in Settings.describe()}


def readme_block(marker: str) -> str:
    """The fenced code block right after `<!-- marker -->` in the README."""
    found = re.search(rf"<!-- {marker} -->\n```\w+\n(.*?)\n```", README.read_text(), re.S)
    assert found, f"no block marked {marker} in the README"
    return found.group(1)


def test_the_license_verifier_is_about_thirty_lines_of_cryptography_only() -> None:
    code = readme_block("license-verifier")
    assert len(code.splitlines()) <= 40
    imports = re.findall(r"^(?:from|import) (\w+)", code, re.M)
    assert set(imports) <= {"base64", "json", "time", "cryptography"}


async def test_the_readme_verifier_checks_keys_the_server_issued(
    gql: GraphQL, world: World, client: httpx.AsyncClient
) -> None:
    namespace: dict[str, Any] = {}
    exec(compile(readme_block("license-verifier"), "README.md", "exec"), namespace)  # noqa: S102
    verify = namespace["verify_license"]
    payload = await LICENSE_ISSUE.ok(
        gql,
        new_license(world, expiresAt=(clock.now() + timedelta(days=30)).isoformat()),
        token=world.master,
    )
    key, license = payload["key"], payload["license"]
    jwks = (await client.get("/.well-known/jwks.json")).json()
    claims = verify(key, jwks)
    assert claims["lid"] == license["id"]
    assert claims["sub"] == gid("cus", world.own)
    assert claims["ent"] == ["sso", "audit-log"]
    assert claims["max"] == 2
    assert claims["kid"] == license["signingKeyId"]
    header, body, signature = key.split(".")
    assert verify(f"{header}.{body[:-2]}AA.{signature}", jwks) is None  # altered
    assert verify("garbage", jwks) is None
    assert verify(key, {"keys": []}) is None  # an unknown signer
    assert verify(key, jwks, now=(clock.now() + timedelta(days=31)).timestamp()) is None
    # After a rotation the old key still verifies through the overlap, with the new JWKS.
    await SIGNING_KEY_ROTATE.ok(gql, {"overlapHours": 24}, token=world.master)
    rotated = (await client.get("/.well-known/jwks.json")).json()
    assert len(rotated["keys"]) == 2
    assert verify(key, rotated)["lid"] == license["id"]
