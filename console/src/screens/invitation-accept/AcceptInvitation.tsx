// Accepting an invitation: the invited person signs in (the link keeps its token through the
// sign-in page), reads what the dry run says they will join, and confirms.
import { useEffect, useRef, useState } from "react";
import { Link, useSearch } from "wouter";
import type { InvitationAcceptMutation as Accept } from "../../gql/graphql";
import { useAuth } from "../../lib/auth";
import { execute } from "../../lib/client";
import { idempotencyKey } from "../../lib/ids";
import { Preview } from "../../ui/Dialog";
import { InvitationAcceptMutation } from "./documents";

type Payload = NonNullable<Accept["invitationAccept"]>;

export default function AcceptInvitation() {
  const { me, checking, refresh, signOut } = useAuth();
  const search = useSearch();
  const token = new URLSearchParams(search).get("token") ?? "";
  const [preview, setPreview] = useState<Payload | null>(null);
  const [joined, setJoined] = useState<Payload | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const key = useRef(idempotencyKey());

  async function send(dryRun: boolean): Promise<Payload | null> {
    setBusy(true);
    try {
      const result = await execute(InvitationAcceptMutation, {
        input: { token },
        dryRun,
        idempotencyKey: dryRun ? null : key.current,
      });
      const payload = result.data?.invitationAccept ?? null;
      const messages = [
        ...result.errors.map((error) => error.message),
        ...(payload?.userErrors ?? []).map((error) => error.message),
      ];
      setProblem(messages.length ? messages.join(" ") : null);
      return messages.length ? null : payload;
    } finally {
      setBusy(false);
    }
  }

  useEffect(() => {
    if (me && token) void send(true).then(setPreview);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [me?.user?.id, token]);

  if (!token) {
    return (
      <section className="bare">
        <h1>Invitation</h1>
        <p className="field-error">This link has no token: open the link from the mail as it is.</p>
      </section>
    );
  }
  if (checking) return <div className="muted loading">Loading…</div>;
  if (!me) {
    const next = encodeURIComponent(`/invitations/accept?${search}`);
    return (
      <section className="bare">
        <h1>You are invited</h1>
        <div className="card">
          <p>Sign in with the email address the invitation was sent to, then accept it.</p>
          <Link href={`/sign-in?next=${next}`} className="button-link">
            Sign in to accept
          </Link>
        </div>
      </section>
    );
  }
  return (
    <section className="bare">
      <h1>Invitation</h1>
      <div className="card">
        <p>Signed in as {me.user?.email ?? "a master key"}.</p>
        {problem && (
          <p className="field-error" role="alert">
            {problem}
          </p>
        )}
        {joined ? (
          <>
            <p data-testid="joined">
              You joined as {joined.role}. <Link href="/">Open the console</Link>
            </p>
          </>
        ) : (
          preview && (
            <>
              <Preview>
                <p>
                  You join customer <code>{preview.customerId}</code> as <strong>{preview.role}</strong>.
                </p>
              </Preview>
              <button
                type="button"
                className="primary"
                disabled={busy}
                onClick={() =>
                  void send(false).then(async (payload) => {
                    if (payload) {
                      setJoined(payload);
                      await refresh();
                    }
                  })
                }
              >
                Accept the invitation
              </button>
            </>
          )
        )}
        <p className="muted">
          Not you?{" "}
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </p>
      </div>
    </section>
  );
}
