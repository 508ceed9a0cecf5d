// A new password from a one-time reset link: POST /v1/password-reset {token, password}.
import { useState } from "react";
import { Link, useSearch } from "wouter";
import { Field, FieldErrors } from "../../ui/Field";

interface RestError {
  message: string;
  extensions?: { code?: string; field?: string[] };
}

export default function ResetPassword() {
  const token = new URLSearchParams(useSearch()).get("token") ?? "";
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [errors, setErrors] = useState<RestError[]>([]);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    if (password !== repeat) {
      setErrors([{ message: "The two passwords differ.", extensions: { field: ["repeat"] } }]);
      return;
    }
    setBusy(true);
    try {
      const response = await fetch("/v1/password-reset", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ token, password }),
      });
      const body = (await response.json().catch(() => ({}))) as { errors?: RestError[] };
      if (response.ok) setDone(true);
      else setErrors(body.errors ?? [{ message: `The API answered ${response.status}.` }]);
    } finally {
      setBusy(false);
    }
  }

  const on = (name: string) =>
    errors.filter((error) => error.extensions?.field?.at(-1) === name).map((error) => error.message);
  const general = errors.filter((error) => !["password", "repeat"].includes(error.extensions?.field?.at(-1) ?? ""));
  return (
    <section className="bare">
      <h1>Choose a new password</h1>
      <div className="card">
        {done ? (
          <p data-testid="reset-done">
            Your password is changed. <Link href="/sign-in">Sign in</Link>
          </p>
        ) : !token ? (
          <p className="field-error">This link has no token: open the link from the mail as it is.</p>
        ) : (
          <form onSubmit={(event) => void submit(event)}>
            <FieldErrors messages={general.map((error) => error.message)} />
            <Field
              spec={{ name: "password", label: "New password", kind: "password", help: "At least 12 characters." }}
              value={password}
              errors={on("password")}
              onChange={(value) => setPassword(String(value))}
            />
            <Field
              spec={{ name: "repeat", label: "The same again", kind: "password" }}
              value={repeat}
              errors={on("repeat")}
              onChange={(value) => setRepeat(String(value))}
            />
            <button type="submit" className="primary" disabled={busy}>
              Set the password
            </button>
          </form>
        )}
      </div>
    </section>
  );
}
