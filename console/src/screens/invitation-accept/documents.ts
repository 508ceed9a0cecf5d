import { graphql } from "../../gql";

export const InvitationAcceptMutation = graphql(`
  mutation InvitationAccept($input: InvitationAcceptInput!, $dryRun: Boolean!, $idempotencyKey: String) {
    invitationAccept(input: $input, dryRun: $dryRun, idempotencyKey: $idempotencyKey) {
      customerId
      role
      invitation {
        id
        email
        status
      }
      userErrors {
        ...UserErrorFields
      }
    }
  }
`);
