"""Cost entries: one at a time, or a CSV import that stores every row or none."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from app.kit.errors import ErrorCode, UserInputError, UserInputErrors
from app.kit.ids import encode
from app.kit.uow import UnitOfWork
from app.kit.validation import checked_text
from app.metrics.cache import costs_cache
from app.models.billing import Plan
from app.models.metrics import CostEntry

PLANS = Plan.__table__  # type: ignore[attr-defined]

MAX_IMPORT_ROWS = 10_000
MAX_AMOUNT = 10**15
IMPORT_COLUMNS = ("date", "category", "amount", "currency", "description", "plan")


@dataclass(frozen=True, slots=True)
class CostInput:
    incurred_on: date
    category: str
    amount: int
    currency: str
    description: str = ""
    plan_code: str | None = None


def _checked(given: CostInput, prefix: list[str]) -> CostInput:
    try:
        category = checked_text(given.category, "category", 64).lower()
        description = checked_text(given.description, "description", 500, required=False)
    except UserInputError as error:
        error.field = [*prefix, *(error.field or [])]
        raise
    if not 0 <= given.amount <= MAX_AMOUNT:
        raise UserInputError(
            "An amount is between 0 and 10^15 minor units.", ErrorCode.INVALID, [*prefix, "amount"]
        )
    currency = given.currency.strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise UserInputError(
            "A currency is a three-letter ISO code.", ErrorCode.INVALID, [*prefix, "currency"]
        )
    return CostInput(
        given.incurred_on, category, given.amount, currency, description, given.plan_code
    )


async def _plan_id(uow: UnitOfWork, code: str | None, field: list[str]) -> uuid.UUID | None:
    if code is None or not code.strip():
        return None
    found = await uow.session.scalar(
        sa.select(PLANS.c.id).where(PLANS.c.code == code.strip().lower())
    )
    if found is None:
        raise UserInputError("No plan has this code.", ErrorCode.NOT_FOUND, field)
    return found  # type: ignore[no-any-return]


def _drop_cache_after_commit(uow: UnitOfWork, redis_url: str | None) -> None:
    async def drop() -> None:
        await costs_cache(redis_url).drop()

    uow.after_commit.append(drop)


def _add(uow: UnitOfWork, given: CostInput, plan_id: uuid.UUID | None) -> CostEntry:
    entry = CostEntry(
        incurred_on=given.incurred_on,
        category=given.category,
        amount=given.amount,
        currency=given.currency,
        description=given.description,
        plan_id=plan_id,
        created_by=uow.actor.id,
    )
    uow.session.add(entry)
    return entry


async def create_entry(uow: UnitOfWork, given: CostInput, redis_url: str | None) -> CostEntry:
    checked = _checked(given, [])
    entry = _add(uow, checked, await _plan_id(uow, checked.plan_code, ["planCode"]))
    await uow.session.flush()
    uow.record(
        "cost.create",
        "CostEntry",
        encode(CostEntry.PREFIX, entry.id),
        after={
            "incurredOn": checked.incurred_on.isoformat(),
            "category": checked.category,
            "amount": checked.amount,
            "currency": checked.currency,
        },
    )
    _drop_cache_after_commit(uow, redis_url)
    return entry


def parse_csv(text: str) -> tuple[list[CostInput | None], list[UserInputError]]:
    try:
        return _parse_csv(text)
    except csv.Error as error:  # a cell past the csv module's limit, a stray NUL byte…
        problem = UserInputError(
            f"The file is not readable CSV: {error}.", ErrorCode.INVALID, ["csv"]
        )
        return [], [problem]


def _parse_csv(text: str) -> tuple[list[CostInput | None], list[UserInputError]]:
    """Rows of `date,category,amount,currency[,description[,plan]]` with a header row; every
    problem named by its row (1 is the first data row) and column."""
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip().lower() for name in (reader.fieldnames or [])]
    missing = [name for name in IMPORT_COLUMNS[:4] if name not in header]
    if missing:
        problem = UserInputError(
            f"The header row must name {', '.join(IMPORT_COLUMNS[:4])} (missing: "
            f"{', '.join(missing)}).",
            ErrorCode.INVALID,
            ["csv"],
        )
        return [], [problem]
    reader.fieldnames = header
    rows: list[CostInput | None] = []
    problems: list[UserInputError] = []
    for number, raw in enumerate(reader, start=1):
        if number > MAX_IMPORT_ROWS:
            problems.append(
                UserInputError(
                    f"At most {MAX_IMPORT_ROWS} rows per import.", ErrorCode.TOO_LONG, ["csv"]
                )
            )
            break
        where = ["rows", str(number)]
        row_problems: list[UserInputError] = []
        try:
            day = date.fromisoformat((raw.get("date") or "").strip())
        except ValueError:
            row_problems.append(
                UserInputError("A date is YYYY-MM-DD.", ErrorCode.INVALID, [*where, "date"])
            )
            day = date.min
        try:
            amount = int((raw.get("amount") or "").strip())
        except ValueError:
            row_problems.append(
                UserInputError(
                    "An amount is a whole number of minor units.",
                    ErrorCode.INVALID,
                    [*where, "amount"],
                )
            )
            amount = 0
        given = CostInput(
            day,
            raw.get("category") or "",
            amount,
            raw.get("currency") or "",
            raw.get("description") or "",
            raw.get("plan") or None,
        )
        if not row_problems:
            try:
                rows.append(_checked(given, where))
                continue
            except UserInputError as error:
                row_problems.append(error)
        problems.extend(row_problems)
        rows.append(None)
    return rows, problems


async def import_csv(uow: UnitOfWork, text: str, redis_url: str | None) -> list[CostEntry]:
    rows, problems = parse_csv(text)
    entries: list[CostEntry] = []
    if not problems and not rows:
        problems.append(UserInputError("The file has no rows.", ErrorCode.REQUIRED, ["csv"]))
    if not problems:
        for number, row in enumerate(rows, start=1):
            assert row is not None
            try:
                plan_id = await _plan_id(uow, row.plan_code, ["rows", str(number), "plan"])
            except UserInputError as error:
                problems.append(error)
                continue
            entries.append(_add(uow, row, plan_id))
    if problems:
        raise UserInputErrors(problems)  # all or nothing: the unit of work rolls back
    await uow.session.flush()
    uow.record(
        "cost.import",
        "CostEntry",
        None,
        after={"rows": len(entries), "amount": sum(entry.amount for entry in entries)},
    )
    _drop_cache_after_commit(uow, redis_url)
    return entries
