import { graphql } from "../../gql";

// One page of users and, for a master, the status counts: one request per page.
export const UsersListQuery = graphql(`
  query UsersList($first: Int!, $after: String, $filter: UserFilter, $master: Boolean!) {
    users(first: $first, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        ...PageInfoFields
      }
      edges {
        cursor
        node {
          id
          email
          name
          status
          createdAt
          lastSeenAt @include(if: $master)
          memberships {
            role
            customer {
              id
              slug
              plan {
                code
              }
            }
          }
        }
      }
    }
    userStats @include(if: $master) {
      total
      byStatus {
        status
        count
      }
      byPlan {
        planCode
        count
      }
    }
  }
`);

export const UserDetailQuery = graphql(`
  query UserDetail($id: ID!, $master: Boolean!) {
    user(id: $id) {
      id
      email
      name
      status
      createdAt
      lastSeenAt @include(if: $master)
      isStaff @include(if: $master)
      metadata @include(if: $master)
      suspension @include(if: $master) {
        reason
        until
        by
      }
      block @include(if: $master) {
        reason
        at
      }
      memberships {
        id
        role
        createdAt
        customer {
          id
          slug
          name
          status
        }
      }
      sessions @include(if: $master) {
        id
        kind
        readOnly
        createdAt
        lastSeenAt
        expiresAt
        clientAddr
        userAgent
      }
      notes(first: 100) @include(if: $master) {
        totalCount
        nodes {
          id
          category
          body
          authorId
          createdAt
        }
      }
      activity(first: 20) @include(if: $master) {
        totalCount
        nodes {
          id
          createdAt
          action
          actorType
          actorId
          targetType
          targetId
        }
      }
      feedback(first: 10) @include(if: $master) {
        totalCount
        nodes {
          id
          kind
          message
          rating
          page
          createdAt
        }
      }
    }
  }
`);


export const UserSuspendMutation = graphql(`
  mutation UserSuspend($input: UserSuspendInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    userSuspend(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      user {
        id
        status
        suspension {
          reason
          until
        }
      }
      revokedSessions
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const UserUnsuspendMutation = graphql(`
  mutation UserUnsuspend($input: UserUnsuspendInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    userUnsuspend(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      user {
        id
        status
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const UserBlockMutation = graphql(`
  mutation UserBlock($input: UserBlockInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    userBlock(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      user {
        id
        status
      }
      revokedSessions
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const UserUnblockMutation = graphql(`
  mutation UserUnblock($input: UserUnblockInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    userUnblock(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      user {
        id
        status
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const UserPasswordResetMutation = graphql(`
  mutation UserPasswordReset($input: UserPasswordResetInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    userPasswordReset(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      resetUrl
      expiresAt
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const UserSignOutMutation = graphql(`
  mutation UserSignOut($input: UserSignOutInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    userSignOut(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      revokedCount
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const UserImpersonateMutation = graphql(`
  mutation UserImpersonate($input: UserImpersonateInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    userImpersonate(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      token
      expiresAt
      readOnly
      session {
        id
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const UserDeleteMutation = graphql(`
  mutation UserDelete($input: UserDeleteInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    userDelete(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      deletedUserId
      user {
        id
        status
        email
      }
      removed {
        kind
        count
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);

export const UserNoteCreateMutation = graphql(`
  mutation UserNoteCreate($input: UserNoteCreateInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    userNoteCreate(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      note {
        id
        category
        body
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);
