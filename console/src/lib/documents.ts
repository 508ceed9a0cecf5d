import { graphql } from "../gql";

// Who the caller is: read once after signing in and after every change of credential.
export const MeQuery = graphql(`
  query Me {
    me {
      scope
      readOnly
      user {
        id
        email
        name
      }
      customers {
        id
        slug
        name
      }
      impersonator {
        id
        kind
        name
        email
      }
      session {
        id
        kind
        expiresAt
        readOnly
      }
    }
  }
`);

// Sign out: the caller's own session (no id), or with a master credential any session.
export const SessionRevokeMutation = graphql(`
  mutation SessionRevoke($input: SessionRevokeInput!, $dryRun: Boolean! = false, $idempotencyKey: String) {
    sessionRevoke(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      session {
        id
        revokedAt
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);
