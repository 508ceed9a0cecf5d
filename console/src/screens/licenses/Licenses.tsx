import { useState } from "react";
import type { LicenseStatus } from "../../gql/graphql";
import { useActions } from "../../lib/action";
import { useAuth } from "../../lib/auth";
import { Allowed } from "../../lib/can";
import { useQuery } from "../../lib/useQuery";
import { Pager, useCursors } from "../../ui/Pager";
import { licenseIssueAction } from "./actions";
import { LicensesQuery } from "./documents";
import { LicenseTable } from "./LicenseRows";

const STATUSES: readonly (LicenseStatus | "")[] = ["", "ACTIVE", "EXPIRING", "EXPIRED", "SUSPENDED", "REVOKED"];

export default function Licenses() {
  const { me } = useAuth();
  const master = me?.scope === "MASTER";
  const cursors = useCursors();
  const [status, setStatus] = useState<LicenseStatus | "">("");
  const { data, errors, loading, refetch } = useQuery(LicensesQuery, {
    first: 25,
    after: cursors.after,
    filter: { status: status || null },
    master,
  });
  const { dialog, open } = useActions();
  const connection = data?.licenses;
  const customers = data?.customers?.nodes ?? [];
  return (
    <section>
      <h1>Licenses</h1>
      <div className="toolbar">
        <label>
          Status{" "}
          <select
            value={status}
            onChange={(event) => {
              cursors.reset();
              setStatus(event.target.value as LicenseStatus | "");
            }}
          >
            {STATUSES.map((value) => (
              <option key={value} value={value}>
                {value || "any"}
              </option>
            ))}
          </select>
        </label>
        <Allowed field="Mutation.licenseIssue">
          <button
            type="button"
            className="primary"
            disabled={customers.length === 0}
            onClick={() => open(licenseIssueAction(customers, refetch))}
          >
            New license…
          </button>
        </Allowed>
      </div>
      {dialog}
      {errors.length > 0 && <div className="field-error">{errors.map((e) => e.message).join(" ")}</div>}
      <LicenseTable licenses={connection?.edges.map((edge) => edge.node) ?? []} open={open} onDone={refetch} busy={loading} />
      <Pager
        pageInfo={connection?.pageInfo}
        page={cursors.page}
        total={connection?.totalCount}
        onNext={() => cursors.next(connection?.pageInfo.endCursor ?? null)}
        onPrevious={cursors.previous}
      />
    </section>
  );
}
