// A background job retried (due now) or given up (never run again), each read from its dry run.
import type {
  JobFieldsFragment as Job,
  JobDiscardMutation as Discard,
  JobDiscardMutationVariables as DiscardVariables,
  JobRetryMutation as Retry,
  JobRetryMutationVariables as RetryVariables,
} from "../../gql/graphql";
import type { ActionProps } from "../../lib/action";
import { dateTime } from "../../lib/format";
import { JobDiscardMutation, JobRetryMutation } from "./documents";

type Action<R, V extends { dryRun?: boolean | null; idempotencyKey?: string | null }> = Omit<
  ActionProps<R, V>,
  "onClose"
>;

function described(job: Job): string {
  return `${job.queue.toLowerCase().replace(/_/g, " ")} job ${job.subject ?? job.id}`;
}

export function jobRetryAction(job: Job, onDone: () => void): Action<Retry, RetryVariables> {
  return {
    title: `Retry the ${described(job)}`,
    document: JobRetryMutation,
    variables: () => ({ input: { queue: job.queue, id: job.id } }),
    preview: (payload) => (
      <p>
        Status becomes <strong data-testid="preview-status">{payload.job?.status}</strong>, due{" "}
        {dateTime(payload.job?.dueAt)}.
      </p>
    ),
    confirmLabel: "Retry",
    onDone,
  };
}

export function jobDiscardAction(job: Job, onDone: () => void): Action<Discard, DiscardVariables> {
  return {
    title: `Discard the ${described(job)}`,
    document: JobDiscardMutation,
    variables: () => ({ input: { queue: job.queue, id: job.id } }),
    preview: (payload) => (
      <p>
        Status becomes <strong data-testid="preview-status">{payload.job?.status}</strong>: it is never run again
        {job.queue === "PAYMENTS" && " and its invoice is marked uncollectible"}.
      </p>
    ),
    confirmLabel: "Discard",
    danger: true,
    onDone,
  };
}
