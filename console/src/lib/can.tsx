import type { ReactNode } from "react";
import { useAuth } from "./auth";
import { can } from "./permissions";

/** Whether the signed-in caller may use a schema field, e.g. useCan()("Mutation.userBlock"). */
export function useCan(): (coordinate: string) => boolean {
  const { me } = useAuth();
  return (coordinate) => can(me, coordinate);
}

/** Renders its children only for a caller the field's directives allow. */
export function Allowed({ field, children }: { field: string; children: ReactNode }) {
  return useCan()(field) ? <>{children}</> : null;
}
