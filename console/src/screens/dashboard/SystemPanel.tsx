// The system's health on the dashboard, from the dashboard's one query: \`system\` is nullable,
// so a failing report leaves the figures standing and the panel says why.
import { Link } from "wouter";
import type { SystemFieldsFragment } from "../../gql/graphql";
import { Badge, parts } from "../system/health";

export function SystemPanel({ system, error }: { system: SystemFieldsFragment | null; error?: string }) {
  return (
    <div className="card" role="group" aria-label="System health">
      <h2>
        System health {system && <Badge status={system.status} />} <Link href="/system">Details</Link>
      </h2>
      {system ? (
        <ul className="health">
          {parts(system).map((part) => (
            <li key={part.name} data-testid={`health-${part.name}`}>
              <Badge status={part.status} label={part.name} /> <span className="muted">{part.detail}</span>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">{error || "No report."}</p>
      )}
    </div>
  );
}
