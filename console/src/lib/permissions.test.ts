import { describe, expect, it } from "vitest";
import { FIELD_PERMISSIONS } from "../generated/permissions";
import { can, permissionsOf } from "./permissions";

const master = { scope: "MASTER", readOnly: false } as const;
const session = { scope: "SESSION", readOnly: false } as const;
const impersonation = { scope: "SESSION", readOnly: true } as const;

describe("permissions generated from schema.graphql", () => {
  it("reads the directives the schema prints", () => {
    expect(permissionsOf("Mutation.userSuspend")).toEqual(["isMaster", "notReadOnly"]);
    expect(permissionsOf("Query.userStats")).toEqual(["isMaster"]);
    expect(permissionsOf("User.sessions")).toEqual(["isMaster"]);
    expect(permissionsOf("Mutation.memberAdd")).toEqual(["isAuthenticated", "notReadOnly"]);
  });

  it("lists every root field, so the console cannot name one the API lacks", () => {
    expect(FIELD_PERMISSIONS["Query.users"]).toEqual(["isAuthenticated"]);
    expect(() => permissionsOf("Mutation.userTeleport")).toThrow(/not in schema.graphql/);
  });

  it("offers master-only fields to a master and not to a session admin", () => {
    expect(can(master, "Mutation.userSuspend")).toBe(true);
    expect(can(session, "Mutation.userSuspend")).toBe(false);
    expect(can(session, "Mutation.memberAdd")).toBe(true);
    expect(can(session, "Query.auditChainVerify")).toBe(false);
  });

  it("offers no mutation to a read-only impersonation, but lets it read", () => {
    expect(can(impersonation, "Mutation.memberAdd")).toBe(false);
    expect(can(impersonation, "Mutation.invitationCreate")).toBe(false);
    expect(can(impersonation, "Query.customers")).toBe(true);
  });

  it("offers nothing without a caller", () => {
    expect(can(null, "Query.users")).toBe(false);
  });
});
