import { useState } from "react";
import type { CouponDuration } from "../../gql/graphql";
import { useActions } from "../../lib/action";
import { Allowed } from "../../lib/can";
import { amountOrNull, dateTime, money } from "../../lib/format";
import { optional, isoDateTime, splitList } from "../../lib/split";
import { useQuery } from "../../lib/useQuery";
import { Pager, useCursors } from "../../ui/Pager";
import { CouponCreateMutation, CouponDeleteMutation, CouponsQuery } from "./documents";

const DURATIONS: readonly CouponDuration[] = ["ONCE", "REPEATING", "FOREVER"];

function integer(value: string | boolean): number | null {
  const text = optional(value);
  return text === null ? null : Number(text);
}

export default function Coupons() {
  const cursors = useCursors();
  const [active, setActive] = useState<"" | "true" | "false">("true");
  const { data, errors, loading, refetch } = useQuery(CouponsQuery, {
    first: 25,
    after: cursors.after,
    filter: { active: active === "" ? null : active === "true" },
  });
  const { dialog, open } = useActions();
  const connection = data?.coupons;
  const create = () =>
    open({
      title: "New coupon",
      document: CouponCreateMutation,
      fields: [
        { name: "code", label: "Code", placeholder: "SPRING25" },
        { name: "name", label: "Name", placeholder: "Spring promotion" },
        { name: "duration", label: "Duration", kind: "select", options: DURATIONS },
        { name: "durationInMonths", label: "Months (REPEATING only)", kind: "number" },
        { name: "percentOff", label: "Percent off", kind: "number", help: "Or an amount off below." },
        { name: "amountOff", label: "Amount off", placeholder: "10.00" },
        { name: "currency", label: "Currency of the amount", initial: "USD" },
        { name: "maxRedemptions", label: "Redemptions at most (optional)", kind: "number" },
        { name: "redeemBy", label: "Redeem by (optional)", placeholder: "2027-01-31" },
        { name: "appliesToPlans", label: "Plans (comma-separated; none: every plan)" },
      ],
      variables: (values) => {
        const amountOff = amountOrNull(values.amountOff, String(values.currency).trim().toUpperCase() || "USD");
        return {
          input: {
            code: String(values.code).trim(),
            name: String(values.name).trim(),
            duration: values.duration as CouponDuration,
            durationInMonths: integer(values.durationInMonths),
            percentOff: optional(values.percentOff) === null ? null : Number(values.percentOff),
            amountOff,
            currency: amountOff === null ? null : String(values.currency).trim().toUpperCase(),
            maxRedemptions: integer(values.maxRedemptions),
            redeemBy: optional(values.redeemBy) === null ? null : (isoDateTime(values.redeemBy) ?? String(values.redeemBy)),
            appliesToPlans: splitList(values.appliesToPlans).length ? splitList(values.appliesToPlans) : null,
          },
        };
      },
      preview: (payload) => (
        <p>
          Coupon <code>{payload.coupon?.code}</code> takes{" "}
          {payload.coupon?.percentOff != null ? `${payload.coupon.percentOff} %` : money(payload.coupon?.amountOff)} off,{" "}
          {payload.coupon?.duration.toLowerCase()}
          {payload.coupon?.durationInMonths ? ` for ${payload.coupon.durationInMonths} months` : ""}.
        </p>
      ),
      confirmLabel: "Create the coupon",
      onDone: refetch,
    });
  return (
    <section>
      <h1>Coupons</h1>
      <div className="toolbar">
        <label>
          Redeemable{" "}
          <select
            value={active}
            onChange={(event) => {
              cursors.reset();
              setActive(event.target.value as "" | "true" | "false");
            }}
          >
            <option value="true">now</option>
            <option value="false">no longer</option>
            <option value="">any</option>
          </select>
        </label>
        <Allowed field="Mutation.couponCreate">
          <button type="button" className="primary" onClick={create}>
            New coupon…
          </button>
        </Allowed>
      </div>
      {dialog}
      {errors.length > 0 && <div className="field-error">{errors.map((e) => e.message).join(" ")}</div>}
      <table aria-label="Coupons" aria-busy={loading}>
        <thead>
          <tr>
            <th>Code</th>
            <th>Off</th>
            <th>Duration</th>
            <th>Redeemed</th>
            <th>Redeem by</th>
            <th>Plans</th>
            <th>State</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {connection?.edges.map(({ node }) => (
            <tr key={node.id}>
              <td>
                <code>{node.code}</code>
                <div className="muted">{node.name}</div>
              </td>
              <td>{node.percentOff != null ? `${node.percentOff} %` : money(node.amountOff)}</td>
              <td>
                {node.duration}
                {node.durationInMonths ? ` (${node.durationInMonths} months)` : ""}
              </td>
              <td>
                {node.redemptionsCount}
                {node.maxRedemptions != null ? ` / ${node.maxRedemptions}` : ""}
              </td>
              <td>{dateTime(node.redeemBy)}</td>
              <td>{node.appliesToPlans?.join(", ") ?? "every plan"}</td>
              <td>
                {node.deletedAt ? (
                  <span className="badge DELETED">DELETED</span>
                ) : (
                  <span className={`badge ${node.active ? "ACTIVE" : "EXPIRED"}`}>{node.active ? "ACTIVE" : "INACTIVE"}</span>
                )}
              </td>
              <td>
                {!node.deletedAt && (
                  <Allowed field="Mutation.couponDelete">
                    <button
                      type="button"
                      onClick={() =>
                        open({
                          title: `Delete coupon ${node.code}`,
                          document: CouponDeleteMutation,
                          variables: () => ({ input: { code: node.code } }),
                          preview: () => (
                            <p>
                              The coupon can no longer be redeemed; the {node.redemptionsCount} discount(s) it gave keep
                              running.
                            </p>
                          ),
                          confirmLabel: "Delete",
                          danger: true,
                          onDone: refetch,
                        })
                      }
                    >
                      Delete…
                    </button>
                  </Allowed>
                )}
              </td>
            </tr>
          ))}
          {connection && connection.edges.length === 0 && (
            <tr>
              <td colSpan={8} className="muted">
                No coupon.
              </td>
            </tr>
          )}
        </tbody>
      </table>
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
