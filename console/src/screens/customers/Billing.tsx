// A customer's money and integrations on its page: subscription, limits, invoices, keys,
// licenses and webhooks, with the billing actions (master only, as the schema says).
import { useState } from "react";
import type {
  CreditNoteReason,
  CustomerDetailQuery,
  ProrationBehavior,
  RefundTo,
} from "../../gql/graphql";
import type { useActions } from "../../lib/action";
import { Allowed } from "../../lib/can";
import { amountOrNull, count, dateTime, money } from "../../lib/format";
import { isoDateTime, optional } from "../../lib/split";
import { apiKeyCreateAction, apiKeyRevokeAction } from "../api-keys/actions";
import { licenseIssueAction } from "../licenses/actions";
import { LicenseTable } from "../licenses/LicenseRows";
import { endpointCreateAction, endpointDeleteAction, endpointTestAction } from "../webhooks/actions";
import { Deliveries } from "../webhooks/Deliveries";
import {
  BillingOverrideSetMutation,
  CouponApplyMutation,
  CreditNoteCreateMutation,
  CustomerCreditGrantMutation,
  InvoiceCreateMutation,
  SubscriptionChangePlanMutation,
  SubscriptionTrialSetMutation,
} from "./billing-documents";

type Data = CustomerDetailQuery;
type Customer = NonNullable<Data["customer"]>;
type Open = ReturnType<typeof useActions>["open"];

const PRORATIONS: readonly ProrationBehavior[] = ["CREATE_PRORATIONS", "ALWAYS_INVOICE", "NONE"];
const CREDIT_REASONS: readonly CreditNoteReason[] = ["PRODUCT_UNSATISFACTORY", "ORDER_CHANGE", "DUPLICATE", "FRAUDULENT"];
const REFUND_TO: readonly RefundTo[] = ["CREDIT_BALANCE", "ORIGINAL_PAYMENT"];

function limitValue(value: unknown, unit = ""): string {
  return value == null ? "unlimited" : `${String(value)}${unit}`;
}

function currencyOf(customer: Customer): string {
  return customer.subscription?.price.currency ?? customer.creditBalance.currency;
}

export function BillingSummary({ customer }: { customer: Customer }) {
  const subscription = customer.subscription;
  const limits = customer.effectiveLimits;
  const rows: [string, { value?: unknown; source: string }, string][] = [
    ["Monthly quota", limits.monthlyQuota, ""],
    ["Rate per second", limits.ratePerSecond, ""],
    ["Seats", limits.seats, ""],
    ["SLA", limits.slaPercent, " %"],
  ];
  return (
    <>
      <div className="card" aria-label="Subscription">
        <h2>Subscription</h2>
        {subscription ? (
          <dl className="props">
            <dt>Plan</dt>
            <dd data-testid="subscription-plan">
              {subscription.plan?.name} (<code>{subscription.plan?.code}</code>) v{subscription.planVersion}
            </dd>
            <dt>Status</dt>
            <dd>
              <span className={`badge ${subscription.status}`}>{subscription.status}</span>
              {subscription.cancelAtPeriodEnd && <span className="muted"> cancels at the period's end</span>}
            </dd>
            <dt>Price</dt>
            <dd>
              {money(subscription.price)} / {subscription.interval.toLowerCase()}
            </dd>
            <dt>Period</dt>
            <dd>
              {dateTime(subscription.currentPeriodStart)} to {dateTime(subscription.currentPeriodEnd)}
            </dd>
            {subscription.trialEnd && (
              <>
                <dt>Trial ends</dt>
                <dd>{dateTime(subscription.trialEnd)}</dd>
              </>
            )}
            {subscription.billingOverride && (
              <>
                <dt>Billing override</dt>
                <dd>on: {subscription.billingOverrideReason}</dd>
              </>
            )}
          </dl>
        ) : (
          <p className="muted">No live subscription{customer.plan ? ` (plan ${customer.plan.name})` : ""}.</p>
        )}
      </div>
      <div className="card" aria-label="Money">
        <h2>Money</h2>
        <dl className="props">
          <dt>MRR</dt>
          <dd data-testid="customer-mrr">{money(customer.mrr)}</dd>
          <dt>Lifetime value</dt>
          <dd>{money(customer.lifetimeValue)}</dd>
          <dt>Credit balance</dt>
          <dd data-testid="credit-balance">{money(customer.creditBalance)}</dd>
          <dt>Open invoices</dt>
          <dd>{count(customer.openInvoicesCount)}</dd>
          <dt>Discounts</dt>
          <dd>
            {customer.discounts.length === 0
              ? "none"
              : customer.discounts
                  .map((d) => `${d.code} (${d.percentOff != null ? `${d.percentOff} %` : money(d.amountOff)} ${d.duration.toLowerCase()})`)
                  .join(", ")}
          </dd>
        </dl>
      </div>
      <div className="card" aria-label="Effective limits">
        <h2>Effective limits</h2>
        <dl className="props">
          {rows.map(([label, limit, unit]) => (
            <div key={label} style={{ display: "contents" }}>
              <dt>{label}</dt>
              <dd>
                {limitValue(limit.value, unit)} <span className="muted">{limit.source.toLowerCase()}</span>
              </dd>
            </div>
          ))}
          {limits.overrideReason && (
            <>
              <dt>Override</dt>
              <dd>{limits.overrideReason}</dd>
            </>
          )}
        </dl>
      </div>
    </>
  );
}

export function BillingActions({
  customer,
  plans,
  open,
  onDone,
}: {
  customer: Customer;
  plans: NonNullable<Data["plans"]>["nodes"];
  open: Open;
  onDone: () => void;
}) {
  const customerId = customer.id;
  const current = customer.subscription?.plan?.code;
  const others = plans.filter((plan) => plan.code !== current);
  const planLabels = Object.fromEntries(plans.map((p) => [p.code, `${p.name} (${money(p.price)} / ${p.interval.toLowerCase()})`]));
  const currency = currencyOf(customer);
  return (
    <div className="actions-row" aria-label="Billing">
      {customer.subscription && (
        <Allowed field="Mutation.subscriptionChangePlan">
          <button
            type="button"
            disabled={others.length === 0}
            onClick={() =>
              open({
                title: `Change the plan of ${customer.name}`,
                document: SubscriptionChangePlanMutation,
                fields: [
                  { name: "planCode", label: "New plan", kind: "select", options: others.map((p) => p.code), optionLabels: planLabels },
                  {
                    name: "prorationBehavior",
                    label: "Proration",
                    kind: "select",
                    options: PRORATIONS,
                    help: "CREATE_PRORATIONS: on the next invoice; ALWAYS_INVOICE: invoiced and charged now; NONE: no proration.",
                  },
                ],
                variables: (values) => ({
                  input: {
                    customerId,
                    planCode: String(values.planCode),
                    prorationBehavior: values.prorationBehavior as ProrationBehavior,
                  },
                }),
                preview: (payload) => (
                  <>
                    <p>
                      The plan becomes{" "}
                      <strong data-testid="preview-plan">{payload.subscription?.plan?.name}</strong> at{" "}
                      {money(payload.subscription?.price)} / {payload.subscription?.interval.toLowerCase()}.
                    </p>
                    {payload.prorationLines.length === 0 ? (
                      <p className="muted">Nothing is prorated.</p>
                    ) : (
                      <table className="lines" aria-label="Proration lines" data-testid="proration-lines">
                        <thead>
                          <tr>
                            <th>Line</th>
                            <th>Period</th>
                            <th>Amount</th>
                          </tr>
                        </thead>
                        <tbody>
                          {payload.prorationLines.map((line, index) => (
                            <tr key={index}>
                              <td>{line.description}</td>
                              <td className="muted">
                                {dateTime(line.periodStart)} to {dateTime(line.periodEnd)}
                              </td>
                              <td>{money(line.amount)}</td>
                            </tr>
                          ))}
                        </tbody>
                      </table>
                    )}
                    {payload.invoice && (
                      <p>
                        Invoiced now: {money(payload.invoice.total)}, {money(payload.invoice.amountDue)} due.
                      </p>
                    )}
                  </>
                ),
                confirmLabel: "Change the plan",
                onDone,
              })
            }
          >
            Change plan…
          </button>
        </Allowed>
      )}
      {customer.subscription && (
        <Allowed field="Mutation.subscriptionTrialSet">
          <button
            type="button"
            onClick={() =>
              open({
                title: `Trial of ${customer.name}`,
                document: SubscriptionTrialSetMutation,
                fields: [
                  {
                    name: "trialEnd",
                    label: "Trial ends (UTC)",
                    placeholder: "2027-01-31T00:00",
                    initial: customer.subscription?.trialEnd?.slice(0, 16) ?? "",
                  },
                ],
                variables: (values) => ({
                  input: { customerId, trialEnd: isoDateTime(values.trialEnd) ?? String(values.trialEnd) },
                }),
                preview: (payload) => (
                  <p>
                    Status <strong data-testid="preview-status">{payload.subscription?.status}</strong>, trial until{" "}
                    {dateTime(payload.subscription?.trialEnd)}.
                  </p>
                ),
                confirmLabel: "Set the trial",
                onDone,
              })
            }
          >
            Set trial…
          </button>
        </Allowed>
      )}
      <Allowed field="Mutation.customerCreditGrant">
        <button
          type="button"
          onClick={() =>
            open({
              title: `Grant credit to ${customer.name}`,
              document: CustomerCreditGrantMutation,
              fields: [
                { name: "amount", label: `Amount (${currency})`, placeholder: "25.00" },
                { name: "reason", label: "Reason" },
                { name: "expiresAt", label: "Expires (optional)", placeholder: "2027-01-31" },
              ],
              variables: (values) => ({
                input: {
                  customerId,
                  amount: { amount: amountOrNull(values.amount, currency) ?? 0, currency },
                  reason: String(values.reason),
                  expiresAt: optional(values.expiresAt) === null ? null : (isoDateTime(values.expiresAt) ?? String(values.expiresAt)),
                },
              }),
              preview: (payload) => (
                <p>
                  {money(
                    payload.creditTransaction
                      ? { amount: payload.creditTransaction.amount, currency: payload.creditTransaction.currency }
                      : null,
                  )}{" "}
                  of credit; the balance becomes <strong>{money(payload.customer?.creditBalance)}</strong>.
                </p>
              ),
              confirmLabel: "Grant",
              onDone,
            })
          }
        >
          Grant credit…
        </button>
      </Allowed>
      <Allowed field="Mutation.couponApply">
        <button
          type="button"
          onClick={() =>
            open({
              title: `Apply a coupon to ${customer.name}`,
              document: CouponApplyMutation,
              fields: [{ name: "code", label: "Coupon code" }],
              variables: (values) => ({ input: { customerId, code: String(values.code).trim() } }),
              preview: (payload) => (
                <p>
                  {payload.discount?.name} (<code>{payload.discount?.code}</code>):{" "}
                  {payload.discount?.percentOff != null ? `${payload.discount.percentOff} %` : money(payload.discount?.amountOff)} off,{" "}
                  {payload.discount?.duration.toLowerCase()}
                  {payload.discount?.endsAt ? `, until ${dateTime(payload.discount.endsAt)}` : ""}.
                </p>
              ),
              confirmLabel: "Apply",
              onDone,
            })
          }
        >
          Apply coupon…
        </button>
      </Allowed>
      <Allowed field="Mutation.invoiceCreate">
        <button
          type="button"
          onClick={() =>
            open({
              title: `Invoice ${customer.name} now`,
              document: InvoiceCreateMutation,
              fields: [
                { name: "description", label: "Description", placeholder: "Onboarding workshop" },
                { name: "amount", label: `Unit amount (${currency})`, placeholder: "150.00" },
                { name: "quantity", label: "Quantity", kind: "number", initial: "1" },
              ],
              variables: (values) => ({
                input: {
                  customerId,
                  currency,
                  items: [
                    {
                      description: String(values.description),
                      amount: amountOrNull(values.amount, currency) ?? 0,
                      quantity: Number(values.quantity || 1),
                    },
                  ],
                },
              }),
              preview: (payload) => (
                <p>
                  A {payload.invoice?.status.toLowerCase()} invoice of {money(payload.invoice?.total)} (subtotal{" "}
                  {money(payload.invoice?.subtotal)}, tax {money(payload.invoice?.taxTotal)}):{" "}
                  {payload.invoice?.lines.map((line) => `${line.quantity} × ${line.description}`).join(", ")}.
                </p>
              ),
              confirmLabel: "Create the invoice",
              onDone,
            })
          }
        >
          Invoice now…
        </button>
      </Allowed>
      {customer.subscription && (
        <Allowed field="Mutation.billingOverrideSet">
          <button
            type="button"
            onClick={() =>
              open({
                title: `Billing override of ${customer.name}`,
                document: BillingOverrideSetMutation,
                fields: [
                  {
                    name: "enabled",
                    label: "Hold the provider's events (admin override)",
                    kind: "checkbox",
                    initial: !customer.subscription?.billingOverride,
                  },
                  { name: "planCode", label: "Also move to (no proration)", kind: "select", options: ["", ...others.map((p) => p.code)], optionLabels: planLabels },
                  { name: "reason", label: "Reason" },
                ],
                variables: (values) => ({
                  input: {
                    customerId,
                    enabled: values.enabled === true,
                    planCode: optional(values.planCode),
                    reason: String(values.reason),
                  },
                }),
                preview: (payload) => (
                  <p>
                    Override {payload.subscription?.billingOverride ? "on" : "off"}; plan{" "}
                    {payload.subscription?.plan?.name}.
                  </p>
                ),
                confirmLabel: "Set the override",
                onDone,
              })
            }
          >
            Billing override…
          </button>
        </Allowed>
      )}
    </div>
  );
}

export function InvoicesCard({ customer, open, onDone }: { customer: Customer; open: Open; onDone: () => void }) {
  return (
    <div className="card">
      <h2>Invoices ({customer.invoices.totalCount})</h2>
      <table aria-label="Invoices">
        <thead>
          <tr>
            <th>Number</th>
            <th>Status</th>
            <th>Total</th>
            <th>Due</th>
            <th>Credited</th>
            <th>Period</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {customer.invoices.nodes.map((invoice) => (
            <tr key={invoice.id}>
              <td>{invoice.number ?? <span className="muted">draft</span>}</td>
              <td>
                <span className={`badge ${invoice.status}`}>{invoice.status}</span>
              </td>
              <td>{money(invoice.total)}</td>
              <td>{money(invoice.amountDue)}</td>
              <td>{money(invoice.creditedTotal)}</td>
              <td className="muted">
                {invoice.periodStart ? `${dateTime(invoice.periodStart)} to ${dateTime(invoice.periodEnd)}` : dateTime(invoice.createdAt)}
              </td>
              <td>
                {(invoice.status === "OPEN" || invoice.status === "PAID") && (
                  <Allowed field="Mutation.creditNoteCreate">
                    <button
                      type="button"
                      onClick={() =>
                        open({
                          title: `Credit note on ${invoice.number ?? "the invoice"}`,
                          document: CreditNoteCreateMutation,
                          fields: [
                            { name: "amount", label: `Amount (${invoice.total.currency})`, placeholder: "10.00" },
                            { name: "reason", label: "Reason", kind: "select", options: CREDIT_REASONS },
                            { name: "refundTo", label: "Refund to", kind: "select", options: REFUND_TO },
                            { name: "memo", label: "Memo (optional)" },
                          ],
                          variables: (values) => ({
                            input: {
                              invoiceId: invoice.id,
                              amount: amountOrNull(values.amount, invoice.total.currency),
                              reason: values.reason as CreditNoteReason,
                              refundTo: values.refundTo as RefundTo,
                              memo: optional(values.memo),
                            },
                          }),
                          preview: (payload) => (
                            <p>
                              A credit note of {money(payload.creditNote?.amount)} to{" "}
                              {payload.creditNote?.refundTo.toLowerCase().replace("_", " ")}; the invoice's credited total
                              becomes {money(payload.invoice?.creditedTotal)}.
                            </p>
                          ),
                          confirmLabel: "Issue the credit note",
                          onDone,
                        })
                      }
                    >
                      Credit note…
                    </button>
                  </Allowed>
                )}
              </td>
            </tr>
          ))}
          {customer.invoices.nodes.length === 0 && (
            <tr>
              <td colSpan={7} className="muted">
                No invoice.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

export function ApiKeysCard({
  customer,
  scopes,
  open,
  onDone,
}: {
  customer: Customer;
  scopes: Data["apiKeyScopes"];
  open: Open;
  onDone: () => void;
}) {
  return (
    <div className="card">
      <div className="toolbar">
        <h2>API keys ({customer.apiKeys.totalCount})</h2>
        <Allowed field="Mutation.apiKeyCreate">
          <button type="button" onClick={() => open(apiKeyCreateAction([customer], scopes, onDone))}>
            New API key…
          </button>
        </Allowed>
      </div>
      <table aria-label="API keys">
        <tbody>
          {customer.apiKeys.nodes.map((key) => (
            <tr key={key.id}>
              <td>
                {key.name}
                <div className="muted">{key.environment}</div>
              </td>
              <td>
                <code>{key.start}…</code>
              </td>
              <td>{key.scopes.join(", ") || <span className="muted">no scopes</span>}</td>
              <td className="muted">used {dateTime(key.lastUsedAt)}</td>
              <td>
                <span className={`badge ${key.status}`}>{key.status}</span>
              </td>
              <td>
                {key.status === "ACTIVE" && (
                  <Allowed field="Mutation.apiKeyRevoke">
                    <button type="button" onClick={() => open(apiKeyRevokeAction(key, onDone))}>
                      Revoke…
                    </button>
                  </Allowed>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function LicensesCard({
  customer,
  licenses,
  open,
  onDone,
}: {
  customer: Customer;
  licenses: Data["licenses"];
  open: Open;
  onDone: () => void;
}) {
  return (
    <div className="card">
      <div className="toolbar">
        <h2>Licenses ({licenses.totalCount})</h2>
        <Allowed field="Mutation.licenseIssue">
          <button type="button" onClick={() => open(licenseIssueAction([customer], onDone))}>
            New license…
          </button>
        </Allowed>
      </div>
      <LicenseTable licenses={licenses.nodes} open={open} onDone={onDone} showCustomer={false} />
    </div>
  );
}

export function WebhooksCard({
  customer,
  eventTypes,
  open,
  onDone,
}: {
  customer: Customer;
  eventTypes: Data["webhookEventTypes"];
  open: Open;
  onDone: () => void;
}) {
  const [shown, setShown] = useState<string | null>(null);
  return (
    <div className="card">
      <div className="toolbar">
        <h2>Webhook endpoints ({customer.webhookEndpoints.totalCount})</h2>
        <Allowed field="Mutation.webhookEndpointCreate">
          <button
            type="button"
            onClick={() => open(endpointCreateAction(customer, eventTypes.map((t) => t.type), onDone))}
          >
            New endpoint…
          </button>
        </Allowed>
      </div>
      <table aria-label="Webhook endpoints">
        <tbody>
          {customer.webhookEndpoints.nodes.map((endpoint) => (
            <tr key={endpoint.id}>
              <td>
                <code>{endpoint.url}</code>
                <div className="muted">{endpoint.description}</div>
                {shown === endpoint.id && <Deliveries endpointId={endpoint.id} pageSize={10} />}
              </td>
              <td>{endpoint.eventTypes.join(", ")}</td>
              <td>
                <span className={`badge ${endpoint.enabled ? "ACTIVE" : "DEACTIVATED"}`}>
                  {endpoint.enabled ? "ENABLED" : "DISABLED"}
                </span>
                {endpoint.failingSince && <div className="muted">failing since {dateTime(endpoint.failingSince)}</div>}
              </td>
              <td>
                <button
                  type="button"
                  aria-expanded={shown === endpoint.id}
                  onClick={() => setShown(shown === endpoint.id ? null : endpoint.id)}
                >
                  Deliveries
                </button>{" "}
                <Allowed field="Mutation.webhookEndpointTest">
                  <button type="button" onClick={() => open(endpointTestAction(endpoint, onDone))}>
                    Test…
                  </button>
                </Allowed>{" "}
                <Allowed field="Mutation.webhookEndpointDelete">
                  <button type="button" onClick={() => open(endpointDeleteAction(endpoint, onDone))}>
                    Delete…
                  </button>
                </Allowed>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
