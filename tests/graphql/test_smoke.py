from tests.helpers import GraphQL, World


async def test_master_sees_me(gql: GraphQL, world: World) -> None:
    data = await gql.ok("{ me { scope user { id } } }", token=world.master)
    assert data == {"me": {"scope": "MASTER", "user": None}}


async def test_session_admin_sees_own_customers(gql: GraphQL, world: World) -> None:
    data = await gql.ok("{ me { scope customers { slug } } }", token=world.owner_token)
    assert data == {"me": {"scope": "SESSION", "customers": [{"slug": "own-co"}]}}
