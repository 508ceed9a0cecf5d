// The logs' two mutations: a test entry (to see the pipeline end to end) and the prune, whose
// dry run counts what it would delete.
import type {
  LogTestMutation as Test,
  LogTestMutationVariables as TestVariables,
  LogsPruneMutation as Prune,
  LogsPruneMutationVariables as PruneVariables,
  LogLevel,
} from "../../gql/graphql";
import type { ActionProps } from "../../lib/action";
import { count } from "../../lib/format";
import { LogTestMutation, LogsPruneMutation } from "./documents";

type Action<R, V extends { dryRun?: boolean | null; idempotencyKey?: string | null }> = Omit<
  ActionProps<R, V>,
  "onClose"
>;

export function logTestAction(onDone: () => void): Action<Test, TestVariables> {
  return {
    title: "Write a test log entry",
    document: LogTestMutation,
    fields: [
      { name: "level", label: "Level", kind: "select", options: ["INFO", "DEBUG", "WARNING", "ERROR", "CRITICAL"] },
      { name: "message", label: "Message", help: "1 to 1,000 characters." },
    ],
    variables: (values) => ({
      input: { level: String(values.level) as LogLevel, message: String(values.message) },
    }),
    preview: (payload) => (
      <p>
        A {payload.entry?.level} entry is stored and written on stdout: “{payload.entry?.message}”.
      </p>
    ),
    confirmLabel: "Write it",
    onDone,
  };
}

/** A whole number typed into a field; a typo is said, not sent. */
export function wholeNumber(value: string | boolean): number {
  const text = String(value).trim();
  if (!/^-?\d+$/.test(text)) throw new Error(`“${text}” is not a whole number.`);
  return Number(text);
}

export function logsPruneAction(onDone: () => void): Action<Prune, PruneVariables> {
  return {
    title: "Prune stored logs",
    document: LogsPruneMutation,
    fields: [
      {
        name: "retentionDays",
        label: "Keep the last … days",
        kind: "number",
        initial: "30",
        help: "Entries older than this are deleted (at least 1 day).",
      },
    ],
    variables: (values) => ({ input: { retentionDays: wholeNumber(values.retentionDays) } }),
    preview: (payload) => (
      <p>
        <strong data-testid="prune-count">{count(payload.deleted)}</strong>{" "}
        {payload.deleted === 1 ? "entry is" : "entries are"} deleted.
      </p>
    ),
    confirmLabel: "Delete them",
    danger: true,
    onDone,
  };
}
