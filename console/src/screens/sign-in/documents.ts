import { graphql } from "../../gql";

export const SessionCreateMutation = graphql(`
  mutation SessionCreate($input: SessionCreateInput!, $idempotencyKey: String) {
    sessionCreate(input: $input, idempotencyKey: $idempotencyKey) {
      token
      expiresAt
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);
