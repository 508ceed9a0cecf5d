// Selections every screen repeats, defined once: codegen appends each fragment a document uses
// to that document (and its persisted hash), so nothing else needs importing them.
import { graphql } from "../gql";

export const UserErrorFields = graphql(`
  fragment UserErrorFields on UserError {
    field
    message
    code
  }
`);

export const PageInfoFields = graphql(`
  fragment PageInfoFields on PageInfo {
    hasNextPage
    endCursor
  }
`);
