"""The ids customer mutations take, decoded (a malformed one is NOT_FOUND)."""

from __future__ import annotations

import uuid

import strawberry

from app.graphql.mutation import input_id
from app.models.customers import Customer
from app.models.users import User


def customer_id_of(value: strawberry.ID) -> uuid.UUID:
    customer_id: uuid.UUID = input_id(value, Customer.PREFIX, "customerId", "Customer")
    return customer_id


def user_id_of(value: strawberry.ID) -> uuid.UUID:
    user_id: uuid.UUID = input_id(value, User.PREFIX, "userId", "User")
    return user_id
