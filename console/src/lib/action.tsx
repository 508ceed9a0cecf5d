// Every mutation goes through here: the form, then the same call with `dryRun: true` whose
// payload says what would change, then the real call with an idempotency key made for this
// confirmation (a double click, or a retry after a lost answer, acts once).
import { useEffect, useRef, useState } from "react";
import type { ReactNode } from "react";
import type { TypedDocumentString } from "../gql/graphql";
import { Dialog, Preview } from "../ui/Dialog";
import { Field, FieldErrors, initialValues, type FieldSpec, type Values } from "../ui/Field";
import { execute } from "./client";
import { groupErrors, type UserError } from "./errors";
import { idempotencyKey } from "./ids";

interface Payload {
  userErrors: readonly UserError[];
}

type Controls = { dryRun?: boolean | null; idempotencyKey?: string | null };

/** The payload of a mutation's one root field: `{ userSuspend: {...} }` → `{...}`. */
export type PayloadOf<TResult> = NonNullable<TResult[keyof TResult]> & Payload;

export interface ActionProps<TResult, TVariables extends Controls, TPayload = PayloadOf<TResult>> {
  title: string;
  document: TypedDocumentString<TResult, TVariables>;
  fields?: readonly FieldSpec[];
  /** The operation's variables (without dryRun and idempotencyKey) from the form's values. */
  variables: (values: Values) => Omit<TVariables, "dryRun" | "idempotencyKey">;
  /** What the dry run says would happen, for the operator to read before confirming. */
  preview: (payload: TPayload) => ReactNode;
  /** Shown after the real call, when there is something to read (a secret shown once). */
  result?: (payload: TPayload) => ReactNode;
  confirmLabel: string;
  danger?: boolean;
  onDone?: (payload: TPayload) => void;
  onClose: () => void;
}

function payloadOf<TPayload>(data: unknown): TPayload | null {
  if (!data || typeof data !== "object") return null;
  const [value] = Object.values(data as Record<string, unknown>);
  return (value ?? null) as TPayload | null;
}

type Step = "form" | "preview" | "done";

export function ActionDialog<TResult, TVariables extends Controls>(
  props: ActionProps<TResult, TVariables>,
) {
  type TPayload = PayloadOf<TResult>;
  const fields = props.fields ?? [];
  const [values, setValues] = useState<Values>(() => initialValues(fields));
  const [step, setStep] = useState<Step>("form");
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<readonly UserError[]>([]);
  const [failure, setFailure] = useState<string | null>(null);
  const [payload, setPayload] = useState<TPayload | null>(null);
  const key = useRef<string | null>(null);
  const started = useRef(false);
  // Set synchronously: a second click arriving before React re-renders sends nothing.
  const inFlight = useRef(false);

  async function send(dryRun: boolean): Promise<TPayload | null> {
    setBusy(true);
    setFailure(null);
    try {
      const variables = {
        ...props.variables(values),
        dryRun,
        idempotencyKey: dryRun ? null : key.current,
      } as TVariables;
      const answer = await execute(props.document, variables);
      const found = payloadOf<TPayload>(answer.data);
      if (answer.errors.length > 0 || found === null) {
        setFailure(answer.errors.map((error) => error.message).join(" ") || "No answer.");
        return null;
      }
      setErrors(found.userErrors);
      return found.userErrors.length > 0 ? null : found;
    } catch (error) {
      setFailure(String(error));
      return null;
    } finally {
      setBusy(false);
    }
  }

  async function dryRun() {
    const found = await send(true);
    if (found) {
      // A new confirmation: its own key, used by every click on "confirm" that follows.
      key.current = idempotencyKey();
      setPayload(found);
      setStep("preview");
    } else {
      setStep("form");
    }
  }

  async function confirm() {
    if (inFlight.current) return;
    inFlight.current = true;
    const found = await send(false).finally(() => {
      inFlight.current = false;
    });
    if (!found) {
      setStep("form");
      return;
    }
    setPayload(found);
    props.onDone?.(found);
    if (props.result) setStep("done");
    else props.onClose();
  }

  // Without a form there is nothing to fill in: ask for the preview straight away.
  useEffect(() => {
    if (fields.length === 0 && !started.current) {
      started.current = true;
      void dryRun();
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const grouped = groupErrors(
    errors,
    fields.map((field) => field.name),
  );
  const general = [...grouped.general, ...(failure ? [failure] : [])];

  let body: ReactNode;
  let actions: ReactNode;
  if (step === "done" && payload && props.result) {
    body = props.result(payload);
    actions = (
      <button type="button" className="primary" onClick={props.onClose}>
        Done
      </button>
    );
  } else if (step === "preview" && payload) {
    body = <Preview>{props.preview(payload)}</Preview>;
    actions = (
      <>
        {fields.length > 0 && (
          <button type="button" onClick={() => setStep("form")} disabled={busy}>
            Back
          </button>
        )}
        <button type="button" onClick={props.onClose} disabled={busy}>
          Cancel
        </button>
        <button
          type="button"
          className={props.danger ? "danger" : "primary"}
          onClick={() => void confirm()}
          disabled={busy}
        >
          {props.confirmLabel}
        </button>
      </>
    );
  } else {
    body = (
      <form
        id="action-form"
        onSubmit={(event) => {
          event.preventDefault();
          void dryRun();
        }}
      >
        {fields.map((spec) => (
          <Field
            key={spec.name}
            spec={spec}
            value={values[spec.name]}
            errors={grouped.byField[spec.name]}
            onChange={(value) => setValues((current) => ({ ...current, [spec.name]: value }))}
          />
        ))}
      </form>
    );
    actions = (
      <>
        <button type="button" onClick={props.onClose} disabled={busy}>
          Cancel
        </button>
        {fields.length > 0 ? (
          <button type="submit" form="action-form" className="primary" disabled={busy}>
            Preview
          </button>
        ) : (
          <button type="button" onClick={() => void dryRun()} disabled={busy}>
            Preview again
          </button>
        )}
      </>
    );
  }
  return (
    <Dialog title={props.title} onClose={props.onClose} actions={actions}>
      <FieldErrors messages={general} codes={grouped.generalCodes} />
      {busy && step !== "done" && <div className="muted">Asking the API…</div>}
      {body}
    </Dialog>
  );
}

/** One dialog at a time per screen: `open` shows it, closing forgets it. */
export function useActions(): {
  dialog: ReactNode;
  open: <TResult, TVariables extends Controls>(
    props: Omit<ActionProps<TResult, TVariables>, "onClose">,
  ) => void;
} {
  const [dialog, setDialog] = useState<ReactNode>(null);
  return {
    dialog,
    open: (props) =>
      setDialog(<ActionDialog key={idempotencyKey()} {...props} onClose={() => setDialog(null)} />),
  };
}
