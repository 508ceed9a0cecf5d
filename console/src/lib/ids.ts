// Idempotency keys: random, and made without crypto.randomUUID, which browsers offer only on
// secure origins (a console opened over plain http on another host has none).
export function idempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `console-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}
