import { Link } from "wouter";
import type { LicenseFieldsFragment } from "../../gql/graphql";
import type { useActions } from "../../lib/action";
import { Allowed } from "../../lib/can";
import { dateTime } from "../../lib/format";
import { licenseReinstateAction, licenseRevokeAction, licenseSuspendAction } from "./actions";

type License = LicenseFieldsFragment & { customer?: { id: string; name: string } | null; machines?: readonly unknown[] };

/** The licenses table, with the actions the caller may use on each. */
export function LicenseTable({
  licenses,
  open,
  onDone,
  showCustomer = true,
  busy = false,
}: {
  licenses: readonly License[];
  open: ReturnType<typeof useActions>["open"];
  onDone: () => void;
  showCustomer?: boolean;
  busy?: boolean;
}) {
  return (
    <table aria-label="Licenses" aria-busy={busy}>
      <thead>
        <tr>
          <th>Key</th>
          {showCustomer && <th>Customer</th>}
          <th>Entitlements</th>
          <th>Machines</th>
          <th>Expires</th>
          <th>Status</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {licenses.map((license) => (
          <tr key={license.id}>
            <td>
              <code>…{license.keyHint}</code>
              <div className="muted">{license.planCode ?? "no plan"}</div>
            </td>
            {showCustomer && (
              <td>
                {license.customer ? (
                  <Link href={`/customers/${license.customer.id}`}>{license.customer.name}</Link>
                ) : (
                  "—"
                )}
              </td>
            )}
            <td>{license.entitlements.join(", ") || <span className="muted">none</span>}</td>
            <td>
              {license.machines ? `${license.machines.length} / ` : ""}
              {license.maxMachines}
            </td>
            <td>{dateTime(license.expiresAt)}</td>
            <td>
              <span className={`badge ${license.status}`}>{license.status}</span>
            </td>
            <td>
              {license.status === "SUSPENDED" ? (
                <Allowed field="Mutation.licenseReinstate">
                  <button type="button" onClick={() => open(licenseReinstateAction(license.id, onDone))}>
                    Reinstate…
                  </button>
                </Allowed>
              ) : (
                license.status !== "REVOKED" && (
                  <Allowed field="Mutation.licenseSuspend">
                    <button type="button" onClick={() => open(licenseSuspendAction(license.id, onDone))}>
                      Suspend…
                    </button>
                  </Allowed>
                )
              )}{" "}
              {license.status !== "REVOKED" && (
                <Allowed field="Mutation.licenseRevoke">
                  <button type="button" onClick={() => open(licenseRevokeAction(license.id, onDone))}>
                    Revoke…
                  </button>
                </Allowed>
              )}
            </td>
          </tr>
        ))}
        {licenses.length === 0 && (
          <tr>
            <td colSpan={7} className="muted">
              No license.
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}
