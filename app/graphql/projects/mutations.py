"""Project mutations: create, update, delete (session admins for their own customers)."""

import uuid

import strawberry

from app.graphql.context import Info
from app.graphql.customers.mutations.ids import customer_id_of
from app.graphql.customers.types import Customer
from app.graphql.model_types import read_back
from app.graphql.mutation import Payload, input_id, mutation
from app.graphql.permissions import writer
from app.graphql.projects.types import Project
from app.kit.uow import UnitOfWork
from app.projects import service


@strawberry.input
class ProjectCreateInput:
    customer_id: strawberry.ID
    name: str
    slug: str = strawberry.field(description="Unique within the customer.")


@strawberry.type
class ProjectCreatePayload(Payload):
    project: Project | None = None


@mutation(writer, "Create a project; its slug is unique within the customer.")
async def project_create(
    info: Info, input: ProjectCreateInput, uow: UnitOfWork
) -> ProjectCreatePayload:
    project = await service.create_project(
        uow, customer_id=customer_id_of(input.customer_id), name=input.name, slug=input.slug
    )
    return ProjectCreatePayload(project=await read_back(uow.session, Project, project.id))


def _project_id(value: strawberry.ID) -> uuid.UUID:
    project_id: uuid.UUID = input_id(value, Project.PREFIX, "projectId", "Project")
    return project_id


@strawberry.input
class ProjectUpdateInput:
    project_id: strawberry.ID
    name: str | None = None
    slug: str | None = None


@strawberry.type
class ProjectUpdatePayload(Payload):
    project: Project | None = None


@mutation(writer, "Rename a project or change its slug.")
async def project_update(
    info: Info, input: ProjectUpdateInput, uow: UnitOfWork
) -> ProjectUpdatePayload:
    project = await service.update_project(
        uow, project_id=_project_id(input.project_id), name=input.name, slug=input.slug
    )
    return ProjectUpdatePayload(project=await read_back(uow.session, Project, project.id))


@strawberry.input
class ProjectDeleteInput:
    project_id: strawberry.ID


@strawberry.type
class ProjectDeletePayload(Payload):
    deleted_project_id: strawberry.ID | None = None
    customer: Customer | None = None


@mutation(writer, "Delete a project; refused while it holds active API keys.")
async def project_delete(
    info: Info, input: ProjectDeleteInput, uow: UnitOfWork
) -> ProjectDeletePayload:
    deletion = await service.delete_project(uow, project_id=_project_id(input.project_id))
    return ProjectDeletePayload(
        deleted_project_id=strawberry.ID(deletion.project_public_id),
        customer=await read_back(uow.session, Customer, deletion.customer.id),
    )
