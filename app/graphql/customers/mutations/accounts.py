"""Customer accounts: create, update, deactivate, reactivate, staff notes."""

import strawberry

from app.billing.subscriptions import service as subscriptions
from app.customers import service
from app.graphql.context import Info
from app.graphql.customers.mutations.ids import customer_id_of
from app.graphql.customers.types import Customer, CustomerNote
from app.graphql.model_types import read_back
from app.graphql.mutation import Payload, mutation
from app.graphql.permissions import master_writer, writer
from app.kit.uow import UnitOfWork


@strawberry.input
class CustomerCreateInput:
    slug: str = strawberry.field(description="Unique; lowercase letters, digits, inner hyphens.")
    name: str
    billing_email: str
    plan_code: str | None = None


@strawberry.type
class CustomerCreatePayload(Payload):
    customer: Customer | None = None


@mutation(master_writer, "Create a customer account; the slug is unique.")
async def customer_create(
    info: Info, input: CustomerCreateInput, uow: UnitOfWork
) -> CustomerCreatePayload:
    customer = await service.create_customer(
        uow,
        slug=input.slug,
        name=input.name,
        billing_email=input.billing_email,
        plan_code=input.plan_code,
    )
    # Subscriptions are the source of truth: a plan given here becomes a subscription.
    await subscriptions.align_with_customer_plan(uow, customer.id)
    return CustomerCreatePayload(customer=await read_back(uow.session, Customer, customer.id))


@strawberry.input
class CustomerUpdateInput:
    customer_id: strawberry.ID
    name: str | None = None
    billing_email: str | None = None
    slug: str | None = strawberry.field(default=None, description="Master only.")
    plan_code: str | None = strawberry.field(default=None, description="Master only.")


@strawberry.type
class CustomerUpdatePayload(Payload):
    customer: Customer | None = None


@mutation(writer, "Change name and billing email (session admins too), slug and plan (master).")
async def customer_update(
    info: Info, input: CustomerUpdateInput, uow: UnitOfWork
) -> CustomerUpdatePayload:
    customer = await service.update_customer(
        uow,
        customer_id=customer_id_of(input.customer_id),
        name=input.name,
        billing_email=input.billing_email,
        slug=input.slug,
        plan_code=input.plan_code,
    )
    if input.plan_code is not None:
        await subscriptions.align_with_customer_plan(uow, customer.id)
    return CustomerUpdatePayload(customer=await read_back(uow.session, Customer, customer.id))


@strawberry.input
class CustomerDeactivateInput:
    customer_id: strawberry.ID
    reason: str = strawberry.field(description="Why (1–500 characters).")


@strawberry.type
class CustomerDeactivatePayload(Payload):
    customer: Customer | None = None


@mutation(
    master_writer, "Deactivate (deletion): nothing is destroyed; members can no longer use it."
)
async def customer_deactivate(
    info: Info, input: CustomerDeactivateInput, uow: UnitOfWork
) -> CustomerDeactivatePayload:
    customer = await service.deactivate_customer(
        uow, customer_id=customer_id_of(input.customer_id), reason=input.reason
    )
    return CustomerDeactivatePayload(customer=await read_back(uow.session, Customer, customer.id))


@strawberry.input
class CustomerReactivateInput:
    customer_id: strawberry.ID
    reason: str | None = strawberry.field(default=None, description="Up to 500 characters.")


@strawberry.type
class CustomerReactivatePayload(Payload):
    customer: Customer | None = None


@mutation(master_writer, "Make a deactivated customer usable again.")
async def customer_reactivate(
    info: Info, input: CustomerReactivateInput, uow: UnitOfWork
) -> CustomerReactivatePayload:
    customer = await service.reactivate_customer(
        uow, customer_id=customer_id_of(input.customer_id), reason=input.reason
    )
    return CustomerReactivatePayload(customer=await read_back(uow.session, Customer, customer.id))


@strawberry.input
class CustomerNoteCreateInput:
    customer_id: strawberry.ID
    body: str = strawberry.field(description="1–5,000 characters.")


@strawberry.type
class CustomerNoteCreatePayload(Payload):
    customer_note: CustomerNote | None = None


@mutation(master_writer, "Add a staff note to a customer.")
async def customer_note_create(
    info: Info, input: CustomerNoteCreateInput, uow: UnitOfWork
) -> CustomerNoteCreatePayload:
    note = await service.add_note(
        uow, customer_id=customer_id_of(input.customer_id), body=input.body
    )
    return CustomerNoteCreatePayload(
        customer_note=await read_back(uow.session, CustomerNote, note.id)
    )
