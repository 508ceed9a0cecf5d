// Sign in with a session (email and password; the server's staff allowlist decides whether it
// is a master session) or with a pasted master key. Signing in is the one mutation the console
// sends without a dry run first: it changes nothing the operator would want to preview.
import { useState } from "react";
import { useLocation, useSearch } from "wouter";
import { readMe, useAuth, type Credential } from "../../lib/auth";
import { execute } from "../../lib/client";
import { groupErrors, type UserError } from "../../lib/errors";
import { idempotencyKey } from "../../lib/ids";
import { Field, FieldErrors } from "../../ui/Field";
import { SessionCreateMutation } from "./documents";

export function safeNext(next: string | null): string {
  // Only a path inside the console: never an absolute or protocol-relative address.
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export default function SignIn() {
  const { signIn } = useAuth();
  const [, navigate] = useLocation();
  const next = safeNext(new URLSearchParams(useSearch()).get("next"));
  const [mode, setMode] = useState<"password" | "key">("password");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [key, setKey] = useState("");
  const [errors, setErrors] = useState<UserError[]>([]);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function enter(credential: Credential) {
    const me = await readMe(credential.token);
    if (!me) {
      setFailure("The credential is unknown, revoked or expired.");
      return;
    }
    signIn(credential, me);
    navigate(next, { replace: true });
  }

  async function submit(event: React.FormEvent) {
    event.preventDefault();
    setBusy(true);
    setErrors([]);
    setFailure(null);
    try {
      if (mode === "key") {
        await enter({ token: key.trim(), kind: "master-key" });
        return;
      }
      const result = await execute(
        SessionCreateMutation,
        { input: { email, password }, idempotencyKey: idempotencyKey() },
        { token: null },
      );
      const payload = result.data?.sessionCreate;
      if (!payload) {
        setFailure(result.errors.map((error) => error.message).join(" ") || "No answer.");
      } else if (payload.userErrors.length > 0) {
        setErrors(payload.userErrors);
      } else if (payload.token) {
        await enter({ token: payload.token, kind: "session" });
      }
    } catch (error) {
      setFailure(String(error));
    } finally {
      setBusy(false);
    }
  }

  const grouped = groupErrors(errors, ["email", "password"]);
  return (
    <section className="bare">
      <h1>Admiral console</h1>
      <div className="card">
        <div className="tabs" role="group" aria-label="Sign in with">
          <button type="button" aria-pressed={mode === "password"} onClick={() => setMode("password")}>
            Email and password
          </button>
          <button type="button" aria-pressed={mode === "key"} onClick={() => setMode("key")}>
            Master key
          </button>
        </div>
        <form onSubmit={(event) => void submit(event)}>
          <FieldErrors messages={[...grouped.general, ...(failure ? [failure] : [])]} />
          {mode === "password" ? (
            <>
              <Field
                spec={{ name: "email", label: "Email", kind: "email" }}
                value={email}
                errors={grouped.byField.email}
                onChange={(value) => setEmail(String(value))}
              />
              <Field
                spec={{ name: "password", label: "Password", kind: "password" }}
                value={password}
                errors={grouped.byField.password}
                onChange={(value) => setPassword(String(value))}
              />
            </>
          ) : (
            <Field
              spec={{
                name: "key",
                label: "Master key",
                kind: "password",
                placeholder: "admk_…",
                help: "Kept in this browser until you sign out.",
              }}
              value={key}
              onChange={(value) => setKey(String(value))}
            />
          )}
          <button type="submit" className="primary" disabled={busy}>
            Sign in
          </button>
        </form>
      </div>
    </section>
  );
}
