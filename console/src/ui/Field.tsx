import type { ReactNode } from "react";

export interface FieldSpec {
  name: string;
  label: string;
  kind?: "text" | "password" | "email" | "number" | "textarea" | "select" | "checkbox";
  options?: readonly string[];
  /** What a select shows for each option, when it is not the value itself (an id). */
  optionLabels?: Readonly<Record<string, string>>;
  placeholder?: string;
  help?: string;
  initial?: string | boolean;
}

export type Values = Record<string, string | boolean>;

export function initialValues(fields: readonly FieldSpec[]): Values {
  return Object.fromEntries(
    fields.map((field) => [
      field.name,
      field.initial ?? (field.kind === "checkbox" ? false : field.kind === "select" ? (field.options?.[0] ?? "") : ""),
    ]),
  );
}

export function FieldErrors({ messages, codes }: { messages?: readonly string[]; codes?: readonly string[] }) {
  if (!messages?.length) return null;
  return (
    <div className="field-error" role="alert" data-codes={codes?.length ? codes.join(" ") : undefined}>
      {messages.join(" ")}
      {codes?.map((code) => (
        <code key={code} className="error-code">
          {code}
        </code>
      ))}
    </div>
  );
}

export function Field({
  spec,
  value,
  errors,
  onChange,
}: {
  spec: FieldSpec;
  value: string | boolean;
  errors?: readonly string[];
  onChange: (value: string | boolean) => void;
}) {
  const id = `field-${spec.name}`;
  let control: ReactNode;
  if (spec.kind === "checkbox") {
    return (
      <div className="field">
        <label className="checkbox">
          <input
            id={id}
            type="checkbox"
            checked={value === true}
            onChange={(event) => onChange(event.target.checked)}
          />{" "}
          {spec.label}
        </label>
        {spec.help && <div className="help">{spec.help}</div>}
        <FieldErrors messages={errors} />
      </div>
    );
  }
  const common = {
    id,
    name: spec.name,
    "aria-invalid": errors?.length ? true : undefined,
    placeholder: spec.placeholder,
  };
  if (spec.kind === "textarea") {
    control = (
      <textarea {...common} rows={3} value={String(value)} onChange={(e) => onChange(e.target.value)} />
    );
  } else if (spec.kind === "select") {
    control = (
      <select {...common} value={String(value)} onChange={(e) => onChange(e.target.value)}>
        {(spec.options ?? []).map((option) => (
          <option key={option} value={option}>
            {spec.optionLabels?.[option] ?? (option || "—")}
          </option>
        ))}
      </select>
    );
  } else {
    control = (
      <input
        {...common}
        type={spec.kind ?? "text"}
        value={String(value)}
        onChange={(e) => onChange(e.target.value)}
      />
    );
  }
  return (
    <div className="field">
      <label htmlFor={id}>{spec.label}</label>
      {control}
      {spec.help && <div className="help">{spec.help}</div>}
      <FieldErrors messages={errors} />
    </div>
  );
}
