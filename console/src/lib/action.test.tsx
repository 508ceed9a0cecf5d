// The dry run, then the real call with one idempotency key however often "confirm" is clicked;
// userErrors next to their field. `fetch` is replaced by a recorder that answers like the API.
import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { UserSuspendMutation } from "../screens/users/documents";
import { ActionDialog } from "./action";

interface Sent {
  variables: { dryRun: boolean; idempotencyKey: string | null; input: Record<string, unknown> };
  extensions?: { persistedQuery: { sha256Hash: string } };
  query?: string;
}

function api(answer: (body: Sent) => unknown) {
  const sent: Sent[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (_url: string, init: RequestInit) => {
      const body = JSON.parse(String(init.body)) as Sent;
      sent.push(body);
      return new Response(JSON.stringify({ data: { userSuspend: answer(body) } }), {
        headers: { "Content-Type": "application/json" },
      });
    }),
  );
  return sent;
}

function dialog(onDone = vi.fn()) {
  render(
    <ActionDialog
      title="Suspend"
      document={UserSuspendMutation}
      fields={[{ name: "reason", label: "Reason", kind: "textarea" }]}
      variables={(values) => ({ input: { userId: "usr_1", reason: String(values.reason) } })}
      preview={(payload) => <p>Status becomes {payload.user?.status}</p>}
      confirmLabel="Suspend"
      onDone={onDone}
      onClose={() => undefined}
    />,
  );
  return onDone;
}

const ok = { user: { id: "usr_1", status: "SUSPENDED", suspension: null }, revokedSessions: 1, userErrors: [] };

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("ActionDialog", () => {
  it("previews with a dry run, then acts once with one idempotency key", async () => {
    const sent = api(() => ok);
    const onDone = dialog();
    fireEvent.change(screen.getByLabelText("Reason"), { target: { value: "chargebacks" } });
    fireEvent.click(screen.getByRole("button", { name: "Preview" }));
    await screen.findByText("Status becomes SUSPENDED");
    expect(sent).toHaveLength(1);
    expect(sent[0].variables).toMatchObject({ dryRun: true, idempotencyKey: null, input: { reason: "chargebacks" } });
    // Sent by hash: the document text stays home.
    expect(sent[0].extensions?.persistedQuery.sha256Hash).toMatch(/^[0-9a-f]{64}$/);
    expect(sent[0].query).toBeUndefined();

    const confirm = screen.getByRole("button", { name: "Suspend" });
    await act(async () => {
      fireEvent.click(confirm);
      fireEvent.click(confirm);
    });
    await waitFor(() => expect(onDone).toHaveBeenCalledTimes(1));
    expect(sent).toHaveLength(2);
    expect(sent[1].variables.dryRun).toBe(false);
    expect(sent[1].variables.idempotencyKey).toMatch(/^console-[0-9a-f]{32}$/);
  });

  it("shows userErrors next to the field they name and sends nothing real", async () => {
    const sent = api(() => ({
      user: null,
      revokedSessions: null,
      userErrors: [{ field: ["input", "reason"], message: "Give a reason (1–500 characters).", code: "REQUIRED" }],
    }));
    dialog();
    fireEvent.click(screen.getByRole("button", { name: "Preview" }));
    const error = await screen.findByRole("alert");
    expect(error.textContent).toBe("Give a reason (1–500 characters).");
    expect(error.previousElementSibling?.id).toBe("field-reason");
    expect(screen.getByLabelText("Reason").getAttribute("aria-invalid")).toBe("true");
    expect(sent.map((body) => body.variables.dryRun)).toEqual([true]);
  });

  it("sends the document text when the server does not know the hash", async () => {
    const sent: Sent[] = [];
    vi.stubGlobal(
      "fetch",
      vi.fn(async (_url: string, init: RequestInit) => {
        const body = JSON.parse(String(init.body)) as Sent;
        sent.push(body);
        const answer = body.query
          ? { data: { userSuspend: ok } }
          : { errors: [{ message: "Unknown document.", extensions: { code: "PERSISTED_QUERY_NOT_FOUND" } }] };
        return new Response(JSON.stringify(answer), { headers: { "Content-Type": "application/json" } });
      }),
    );
    dialog();
    fireEvent.click(screen.getByRole("button", { name: "Preview" }));
    await screen.findByText("Status becomes SUSPENDED");
    expect(sent).toHaveLength(2);
    expect(sent[1].query).toContain("mutation UserSuspend");
  });
});
