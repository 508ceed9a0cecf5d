import { useMemo } from "react";
import type { ReactNode } from "react";
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { count, dateTime, major, money, percent } from "../../lib/format";
import { useQuery } from "../../lib/useQuery";
import { DashboardQuery } from "./documents";
import { SystemPanel } from "./SystemPanel";
import { costRows, funnelRows, lastDays, previousMonth, scenarioRows, usageRows } from "./series";

const COLORS = ["#1e3a8a", "#047857", "#b45309", "#7c3aed", "#be123c", "#0e7490"];
const RANGE_DAYS = 30;

function Figure({ label, value, testId }: { label: string; value: ReactNode; testId?: string }) {
  return (
    <div className="figure">
      <div className="muted">{label}</div>
      <div className="figure-value" data-testid={testId}>
        {value}
      </div>
    </div>
  );
}

function Chart({ title, label, children }: { title: string; label: string; children: ReactNode }) {
  return (
    <div className="card" role="figure" aria-label={label}>
      <h2>{title}</h2>
      <div style={{ width: "100%", height: 220 }}>
        <ResponsiveContainer width="100%" height="100%">
          {children as React.ReactElement}
        </ResponsiveContainer>
      </div>
    </div>
  );
}

function Empty({ children }: { children: ReactNode }) {
  return <p className="muted">{children}</p>;
}

export default function Dashboard() {
  // The range is fixed when the screen opens: re-renders ask nothing new.
  const variables = useMemo(() => ({ ...lastDays(RANGE_DAYS), lastPeriod: previousMonth() }), []);
  const { data, errors, loading } = useQuery(DashboardQuery, variables);
  const metrics = data?.metrics;
  const usage = useMemo(() => usageRows(data?.usageDaily ?? []), [data]);
  const scenarios = useMemo(() => scenarioRows(metrics?.predictions.scenarios ?? []), [metrics]);
  if (loading && !metrics) return <div className="muted">Loading…</div>;
  if (!metrics) {
    return (
      <section>
        <h1>Dashboard</h1>
        <div className="field-error">{errors.map((e) => e.message).join(" ") || "No figures."}</div>
      </section>
    );
  }
  const { overview, revenue, funnel, thisMonth, lastMonth, predictions } = metrics;
  const funnelData = funnelRows(funnel.current.steps, funnel.previous.steps);
  const costs = [
    { label: `${lastMonth.period} (${lastMonth.source.toLowerCase()})`, month: lastMonth },
    { label: `${thisMonth.period} (${thisMonth.source.toLowerCase()})`, month: thisMonth },
  ];
  const costData = costRows(costs.map(({ label, month }) => ({ label, byCategory: month.byCategory })));
  const revenueData = revenue.byDay.map((day) => ({ date: day.date, revenue: major(day.revenue) }));
  const planData = revenue.mrrByPlan.map((plan) => ({ plan: plan.planName, mrr: major(plan.mrr) }));

  return (
    <section>
      <h1>Dashboard</h1>
      <p className="muted">
        {overview.startDate} to {overview.endDate} (this month); charts over the last {RANGE_DAYS} days,{" "}
        {variables.from} to {variables.to}.
      </p>
      <div className="figures" aria-label="Overview">
        <Figure label="MRR" value={money(overview.mrr)} testId="figure-mrr" />
        <Figure label="ARR" value={money(overview.arr)} />
        <Figure label="Users" value={count(overview.usersTotal)} testId="figure-users" />
        <Figure label="Active users" value={count(overview.usersActive)} />
        <Figure label="New users" value={count(overview.usersNew)} />
        <Figure label="Customers" value={count(overview.customersTotal)} testId="figure-customers" />
        <Figure label="Active subscriptions" value={count(overview.activeSubscriptions)} />
        <Figure label="Trialing" value={count(overview.trialingSubscriptions)} />
        <Figure label="Churn" value={percent(overview.churnRate)} />
        <Figure label="Trial conversion" value={percent(overview.trialConversion)} />
        <Figure label="Usage this month" value={count(overview.usageThisPeriod)} />
        <Figure label="Unread feedback" value={count(overview.unreadFeedback)} />
      </div>
      <SystemPanel
        system={data?.system ?? null}
        error={errors
          .filter((error) => error.path?.[0] === "system")
          .map((error) => error.message)
          .join(" ")}
      />

      <div className="grid">
        <Chart title={`Revenue by day (${money(revenue.revenue)})`} label="Revenue by day">
          <LineChart data={revenueData}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="date" fontSize={11} />
            <YAxis fontSize={11} />
            <Tooltip />
            <Line type="monotone" dataKey="revenue" stroke={COLORS[0]} dot={false} isAnimationActive={false} />
          </LineChart>
        </Chart>
        <Chart title="MRR by plan" label="MRR by plan">
          <BarChart data={planData}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="plan" fontSize={11} />
            <YAxis fontSize={11} />
            <Tooltip />
            <Bar dataKey="mrr" fill={COLORS[1]} isAnimationActive={false} />
          </BarChart>
        </Chart>
        <Chart title="Usage by day" label="Usage by day">
          <LineChart data={usage.rows}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="date" fontSize={11} />
            <YAxis fontSize={11} />
            <Tooltip />
            <Legend />
            {usage.metrics.map((metric, index) => (
              <Line
                key={metric}
                type="monotone"
                dataKey={metric}
                stroke={COLORS[index % COLORS.length]}
                dot={false}
                isAnimationActive={false}
              />
            ))}
          </LineChart>
        </Chart>
        <Chart title="Funnel: this range and the one before" label="Funnel">
          <BarChart data={funnelData}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="name" fontSize={11} />
            <YAxis fontSize={11} allowDecimals={false} />
            <Tooltip />
            <Legend />
            <Bar dataKey="previous" name="previous" fill="#94a3b8" isAnimationActive={false} />
            <Bar dataKey="current" name="current" fill={COLORS[0]} isAnimationActive={false} />
          </BarChart>
        </Chart>
        <Chart title="Costs by category, live vs modeled" label="Costs">
          <BarChart data={costData}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="category" fontSize={11} />
            <YAxis fontSize={11} />
            <Tooltip />
            <Legend />
            {costs.map(({ label }, index) => (
              <Bar key={label} dataKey={label} fill={COLORS[(index + 2) % COLORS.length]} isAnimationActive={false} />
            ))}
          </BarChart>
        </Chart>
        <Chart title={`MRR, the next ${predictions.horizonMonths} months in three scenarios`} label="Predictions">
          <LineChart data={scenarios.rows}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="month" fontSize={11} />
            <YAxis fontSize={11} />
            <Tooltip />
            <Legend />
            {scenarios.names.map((name, index) => (
              <Line
                key={name}
                type="monotone"
                dataKey={name}
                stroke={COLORS[index % COLORS.length]}
                dot={false}
                isAnimationActive={false}
              />
            ))}
          </LineChart>
        </Chart>
      </div>

      <div className="grid">
        <div className="card">
          <h2>Revenue, last {RANGE_DAYS} days</h2>
          <dl className="props">
            <dt>Revenue</dt>
            <dd data-testid="revenue-total">{money(revenue.revenue)}</dd>
            <dt>Costs</dt>
            <dd>{money(revenue.costs)}</dd>
            <dt>Gross margin</dt>
            <dd>
              {money(revenue.grossMargin)} ({percent(revenue.grossMarginPercent == null ? null : revenue.grossMarginPercent / 100)})
            </dd>
            <dt>Refunds</dt>
            <dd>{money(revenue.refunds)}</dd>
            <dt>Credits granted</dt>
            <dd>{money(revenue.creditsGranted)}</dd>
            <dt>MRR movements</dt>
            <dd>
              new {money(revenue.movements.new)}, expansion {money(revenue.movements.expansion)}, contraction{" "}
              {money(revenue.movements.contraction)}, churned {money(revenue.movements.churned)}, net{" "}
              {money(revenue.movements.net)}
            </dd>
          </dl>
        </div>
        <div className="card">
          <h2>Costs</h2>
          <table aria-label="Costs by month">
            <thead>
              <tr>
                <th>Month</th>
                <th>Source</th>
                <th>Confidence</th>
                <th>Total</th>
              </tr>
            </thead>
            <tbody>
              {costs.map(({ month }) => (
                <tr key={month.period}>
                  <td>{month.period}</td>
                  <td>
                    <span className={`badge ${month.source}`}>{month.source}</span>
                    {month.fallbackReason && <div className="muted">{month.fallbackReason}</div>}
                  </td>
                  <td>{percent(month.confidence, 0)}</td>
                  <td>{money(month.total)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="muted">Computed {dateTime(thisMonth.fetchedAt)}.</p>
        </div>
        <div className="card">
          <h2>Predictions</h2>
          <table aria-label="Scenarios">
            <thead>
              <tr>
                <th>Scenario</th>
                <th>Growth ×</th>
                <th>Churn ×</th>
                <th>MRR in {predictions.horizonMonths} months</th>
                <th>Paying</th>
              </tr>
            </thead>
            <tbody>
              {predictions.scenarios.map((scenario) => {
                const last = scenario.months[scenario.months.length - 1];
                return (
                  <tr key={scenario.name}>
                    <td>{scenario.name}</td>
                    <td>{scenario.growthFactor}</td>
                    <td>{scenario.churnFactor}</td>
                    <td>{last ? money(last.mrr) : "—"}</td>
                    <td>{last ? count(last.payingCustomers) : "—"}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <dl className="props">
            <dt>Observed</dt>
            <dd>
              {predictions.observedFrom} to {predictions.observedTo}
            </dd>
            <dt>MRR net growth</dt>
            <dd>{percent(predictions.mrrMonthlyNetGrowth)} a month</dd>
            <dt>Runway</dt>
            <dd>
              {predictions.runway.months == null
                ? "not burning cash"
                : `${predictions.runway.months.toFixed(1)} months (until ${predictions.runway.runsOutOn ?? "—"})`}
            </dd>
            <dt>Rate-limit headroom</dt>
            <dd>
              {predictions.rateLimitHeadroom.peakRequestsPerSecond == null
                ? `no peak recorded; plans allow ${count(predictions.rateLimitHeadroom.planLimitTotal)} req/s`
                : `${percent(predictions.rateLimitHeadroom.headroom)} of ${count(predictions.rateLimitHeadroom.planLimitTotal)} req/s`}
            </dd>
          </dl>
        </div>
        <div className="card">
          <h2>MRR by plan</h2>
          {revenue.mrrByPlan.length === 0 ? (
            <Empty>No paying subscriptions.</Empty>
          ) : (
            <table aria-label="MRR by plan">
              <thead>
                <tr>
                  <th>Plan</th>
                  <th>Subscribers</th>
                  <th>MRR</th>
                  <th>Revenue</th>
                </tr>
              </thead>
              <tbody>
                {revenue.mrrByPlan.map((plan) => (
                  <tr key={plan.planCode}>
                    <td>
                      {plan.planName} <code>{plan.planCode}</code>
                    </td>
                    <td>{count(plan.subscribers)}</td>
                    <td>{money(plan.mrr)}</td>
                    <td>{money(plan.revenue)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      </div>
    </section>
  );
}
