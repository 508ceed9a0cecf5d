"""Tax rates, billing profiles, and the tax finalize computes: exclusive, inclusive, regional,
reverse charge; the arithmetic's rounding rule proved with hypothesis."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.billing.tax import arithmetic
from app.db import Database
from app.models.invoices import TaxRate
from tests.billing import invoice_support as s
from tests.helpers import GraphQL, World, gid


def new_rate(**fields: object) -> dict[str, object]:
    return {"country": "de", "percentage": "19", "displayName": "USt", **fields}


async def test_create_a_rate(gql: GraphQL, world: World, db: Database) -> None:
    payload = await s.TAX_RATE_CREATE.ok(
        gql, new_rate(region="US-ca", country="US", percentage="7.25"), token=world.master
    )
    rate = payload["taxRate"]
    assert (rate["country"], rate["region"], rate["jurisdiction"]) == ("US", "CA", "US-CA")
    assert (rate["percentage"], rate["basisPoints"]) == ("7.25", 725)
    assert len(await s.events(db, "tax_rate.create")) == 1


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"country": "XX"}, [("INVALID", ["input", "country"])]),
        ({"percentage": "101"}, [("INVALID", ["input", "percentage"])]),
        ({"percentage": "-1"}, [("INVALID", ["input", "percentage"])]),
        ({"percentage": "7.125"}, [("INVALID", ["input", "percentage"])]),
        ({"percentage": "lots"}, [("INVALID", ["input", "percentage"])]),
        ({"region": "not a region"}, [("INVALID", ["input", "region"])]),
        ({"displayName": " "}, [("REQUIRED", ["input", "displayName"])]),
        (
            {"country": "", "percentage": "NaN"},
            [("INVALID", ["input", "country"]), ("INVALID", ["input", "percentage"])],
        ),
    ],
)
async def test_create_checks_its_input(
    gql: GraphQL, world: World, fields: dict[str, object], errors: list[object]
) -> None:
    assert await s.TAX_RATE_CREATE.refused(gql, new_rate(**fields), token=world.master) == errors


async def test_create_dry_run_and_replay(gql: GraphQL, world: World, db: Database) -> None:
    before = await s.counts(db)
    await s.TAX_RATE_CREATE.ok(gql, new_rate(), token=world.master, dry_run=True)
    assert await s.counts(db) == before
    first = await s.TAX_RATE_CREATE.ok(gql, new_rate(), token=world.master, key="t")
    assert await s.TAX_RATE_CREATE.ok(gql, new_rate(), token=world.master, key="t") == first
    assert (await s.counts(db))["tax_rates"] == 1


async def test_archive(gql: GraphQL, world: World, db: Database) -> None:
    rate = await s.tax_rate(db, "DE", 1900)
    ref = {"taxRateId": gid("txr", rate)}
    done = await s.TAX_RATE_ARCHIVE.ok(gql, ref, token=world.master)
    assert done["taxRate"]["archivedAt"] is not None
    assert await s.TAX_RATE_ARCHIVE.refused(gql, ref, token=world.master) == [
        ("INVALID_STATE", ["input", "taxRateId"])
    ]
    missing = await s.TAX_RATE_ARCHIVE.refused(gql, {"taxRateId": "txr_x"}, token=world.master)
    assert missing == [("NOT_FOUND", ["input", "taxRateId"])]
    listed = await gql.ok("{ taxRates { nodes { id } } }", token=world.owner_token)
    assert listed["taxRates"]["nodes"] == []
    archived = await gql.ok(
        "{ taxRates(filter: {archived: true}) { nodes { id } } }", token=world.master
    )
    assert archived["taxRates"]["nodes"] == [{"id": gid("txr", rate)}]


@pytest.mark.parametrize("who", ["owner_token", "admin_token", "read_only_token"])
async def test_only_a_master_sets_rates_and_profiles(
    gql: GraphQL, world: World, db: Database, who: str
) -> None:
    before = await s.counts(db)
    response = await s.TAX_RATE_CREATE.send(gql, new_rate(), token=getattr(world, who))
    assert response.codes
    profile = {"customerId": gid("cus", world.own), "country": "DE"}
    assert (await s.PROFILE_UPDATE.send(gql, profile, token=getattr(world, who))).codes
    assert await s.counts(db) == before


async def test_billing_profile_update(gql: GraphQL, world: World, db: Database) -> None:
    customer = gid("cus", world.own)
    payload = await s.PROFILE_UPDATE.ok(
        gql,
        {
            "customerId": customer,
            "name": "Own Co GmbH",
            "line1": "Hauptstr. 1",
            "city": "Berlin",
            "postalCode": "10115",
            "country": "de",
            "taxId": "DE123456789",
        },
        token=world.master,
    )
    assert payload["billingAddress"]["country"] == "DE"
    assert payload["customer"] == {"taxId": "DE123456789"}
    cleared = await s.PROFILE_UPDATE.ok(
        gql, {"customerId": customer, "taxId": None}, token=world.master
    )
    assert cleared["billingAddress"]["taxId"] is None
    assert cleared["billingAddress"]["city"] == "Berlin"  # left out: kept
    assert len(await s.events(db, "customer.billing_profile.update")) == 2
    bad = await s.PROFILE_UPDATE.refused(
        gql, {"customerId": customer, "country": "ZZ", "city": "x" * 101}, token=world.master
    )
    assert bad == [("TOO_LONG", ["input", "city"]), ("INVALID", ["input", "country"])]
    other = await s.PROFILE_UPDATE.refused(
        gql, {"customerId": "cus_x", "country": "DE"}, token=world.master
    )
    assert other == [("NOT_FOUND", ["input", "customerId"])]
    read = "query($id: ID!) { customer(id: $id) { billingAddress { city } taxId } }"
    mine = await gql.ok(read, {"id": customer}, token=world.owner_token)
    assert mine["customer"] == {"billingAddress": {"city": "Berlin"}, "taxId": None}
    theirs = await gql.ok(read, {"id": gid("cus", world.other)}, token=world.owner_token)
    assert theirs["customer"] is None


async def test_exclusive_tax(world: World, db: Database) -> None:
    await s.tax_rate(db, "DE", 1900)
    await s.profile(db, world.own, country="DE")
    invoice = await s.finalized(db, world.own, [10_000, 333])
    assert invoice.tax_total == 1_900 + 63  # 63.27 rounds to 63
    assert invoice.total == 10_333 + 1_963
    assert invoice.reverse_charge is False


async def test_inclusive_tax(world: World, db: Database) -> None:
    await s.tax_rate(db, "GB", 2000, inclusive=True)
    await s.profile(db, world.own, country="GB")
    invoice = await s.finalized(db, world.own, [12_000])
    assert invoice.tax_total == 2_000
    assert invoice.total == 12_000  # included: the total does not grow


async def test_a_regional_rate_wins_over_the_national_one(world: World, db: Database) -> None:
    await s.tax_rate(db, "US", 0)
    regional = await s.tax_rate(db, "US", 725, region="CA")
    await s.profile(db, world.own, country="US", region="CA")
    invoice = await s.finalized(db, world.own, [10_000])
    lines = await _lines(db, invoice.id)
    assert [(line.tax_rate_id, line.tax_amount, line.jurisdiction) for line in lines] == [
        (regional.id, 725, "US-CA")
    ]


async def test_a_tax_id_means_reverse_charge(world: World, db: Database) -> None:
    await s.tax_rate(db, "DE", 1900)
    await s.profile(db, world.own, country="DE", tax_id="DE999999999", name="Own GmbH")
    invoice = await s.finalized(db, world.own, [10_000])
    assert (invoice.tax_total, invoice.total, invoice.reverse_charge) == (0, 10_000, True)
    assert (invoice.tax_id, invoice.billing_name) == ("DE999999999", "Own GmbH")
    [line] = await _lines(db, invoice.id)
    assert line.jurisdiction == "DE"


async def test_archived_rates_and_unknown_countries_tax_nothing(world: World, db: Database) -> None:
    from app.kit import clock

    await s.add(
        db, TaxRate(country="FR", basis_points=2000, display_name="TVA", archived_at=clock.now())
    )
    await s.profile(db, world.own, country="FR")
    invoice = await s.finalized(db, world.own, [10_000])
    assert invoice.tax_total == 0
    no_profile = await s.finalized(db, world.other, [10_000])
    assert no_profile.tax_total == 0


async def test_discounts_lower_the_taxed_base(world: World, db: Database) -> None:
    from app.billing.invoices.service import DiscountDraft

    await s.tax_rate(db, "DE", 1900)
    await s.profile(db, world.own, country="DE")
    invoice = await s.finalized(
        db, world.own, [10_000], discounts=[DiscountDraft("Half", percent_off="50")]
    )
    assert (invoice.discount_total, invoice.tax_total, invoice.total) == (5_000, 950, 5_950)


async def _lines(db: Database, invoice_id: object) -> list[object]:
    from app.billing.invoices import repository

    async with db.write_session() as session:
        return list(await repository.lines_of(session, invoice_id))  # type: ignore[arg-type]


# ---------------------------------------------------------------- the arithmetic

amounts = st.integers(min_value=-(10**12), max_value=10**12)
rates = st.integers(min_value=0, max_value=arithmetic.MAX_BASIS_POINTS)


@settings(deadline=None)
@given(amounts, rates)
def test_exclusive_tax_is_the_nearest_integer(amount: int, rate: int) -> None:
    exact = Fraction(amount * rate, 10_000)
    assert abs(arithmetic.exclusive_tax(amount, rate) - exact) <= Fraction(1, 2)


@settings(deadline=None)
@given(amounts, rates)
def test_inclusive_tax_and_net_add_up_to_the_amount(amount: int, rate: int) -> None:
    tax = arithmetic.inclusive_tax(amount, rate)
    exact = Fraction(amount * rate, 10_000 + rate)
    assert abs(tax - exact) <= Fraction(1, 2)
    net = amount - tax
    # Re-taxing the net exclusively lands within one minor unit of the tax taken out.
    assert abs(arithmetic.exclusive_tax(net, rate) - tax) <= 1


@settings(deadline=None)
@given(amounts, rates)
def test_rounding_is_symmetric(amount: int, rate: int) -> None:
    assert arithmetic.exclusive_tax(-amount, rate) == -arithmetic.exclusive_tax(amount, rate)
    assert arithmetic.inclusive_tax(-amount, rate) == -arithmetic.inclusive_tax(amount, rate)


@settings(deadline=None)
@given(st.integers(min_value=0, max_value=10**9), st.lists(amounts, min_size=1, max_size=20))
def test_allocation_adds_up_exactly(total: int, weights: list[int]) -> None:
    parts = arithmetic.allocate(total, weights)
    if any(weight > 0 for weight in weights):
        assert sum(parts) == total
    assert all(part == 0 for part, weight in zip(parts, weights, strict=True) if weight <= 0)


@settings(deadline=None)
@given(rates)
def test_percentages_round_trip(rate: int) -> None:
    assert arithmetic.basis_points_of(arithmetic.percentage_of(rate)) == rate


def test_halves_round_away_from_zero() -> None:
    assert arithmetic.exclusive_tax(50, 100) == 1  # 0.5 → 1
    assert arithmetic.exclusive_tax(-50, 100) == -1
    assert arithmetic.exclusive_tax(49, 100) == 0
