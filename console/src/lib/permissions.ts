// What the caller may do, decided from the permission directives the schema prints on each
// field (generated into src/generated/permissions.ts) and the caller's `me`.
import { FIELD_PERMISSIONS, type Permission } from "../generated/permissions";

export interface Caller {
  scope: "MASTER" | "SESSION";
  readOnly: boolean;
}

function holds(permission: Permission, caller: Caller): boolean {
  switch (permission) {
    case "isAuthenticated":
      return true;
    case "isMaster":
      return caller.scope === "MASTER";
    case "notReadOnly":
      return !caller.readOnly;
    default: {
      // A directive this console does not know yet: offer nothing it guards.
      const unknown: never = permission;
      void unknown;
      return false;
    }
  }
}

/** The directives on a field, by coordinate: "Mutation.userSuspend", "User.sessions". */
export function permissionsOf(coordinate: string): readonly Permission[] {
  const found = FIELD_PERMISSIONS[coordinate];
  if (found !== undefined) return found;
  if (/^(Query|Mutation)\./.test(coordinate)) {
    throw new Error(`${coordinate} is not in schema.graphql`);
  }
  return [];
}

/** Whether the caller may use the field at `coordinate`; no caller may use nothing. */
export function can(caller: Caller | null, coordinate: string): boolean {
  if (caller === null) return false;
  return permissionsOf(coordinate).every((permission) => holds(permission, caller));
}
