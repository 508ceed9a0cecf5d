// The credential in use (a login session, a pasted master key, or an impersonation started
// from the console) and the caller's `me`, read from the API after every change.
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import type { ReactNode } from "react";
import type { MeQuery } from "../gql/graphql";
import { execute, onUnauthenticated, setToken, Unauthenticated } from "./client";
import { MeQuery as MeDocument, SessionRevokeMutation } from "./documents";
import { idempotencyKey } from "./ids";

export type Me = MeQuery["me"];

export interface Credential {
  token: string;
  kind: "session" | "master-key" | "impersonation";
  /** While impersonating: the operator's own credential, restored afterwards. */
  previous?: Credential | null;
  /** The impersonation session, revoked with the operator's credential at the end. */
  sessionId?: string | null;
}

const STORAGE_KEY = "admiral.console.credential";

function load(): Credential | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as Credential) : null;
  } catch {
    return null;
  }
}

function store(credential: Credential | null): void {
  if (credential) localStorage.setItem(STORAGE_KEY, JSON.stringify(credential));
  else localStorage.removeItem(STORAGE_KEY);
}

export async function readMe(token: string): Promise<Me | null> {
  try {
    const result = await execute(MeDocument, {}, { token });
    return result.data?.me ?? null;
  } catch (error) {
    if (error instanceof Unauthenticated) return null;
    throw error;
  }
}

interface Auth {
  credential: Credential | null;
  me: Me | null;
  /** True until the stored credential has been checked. */
  checking: boolean;
  signIn: (credential: Credential, me: Me) => void;
  signOut: () => Promise<void>;
  impersonate: (token: string, sessionId: string | null, me: Me) => void;
  stopImpersonating: () => Promise<void>;
  refresh: () => Promise<void>;
}

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [credential, setCredential] = useState<Credential | null>(load);
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(credential !== null);

  const use = useCallback((next: Credential | null, nextMe: Me | null) => {
    store(next);
    setToken(next?.token ?? null);
    setCredential(next);
    setMe(nextMe);
  }, []);

  useEffect(() => onUnauthenticated(() => use(null, null)), [use]);

  useEffect(() => {
    const stored = load();
    if (!stored) return;
    setToken(stored.token);
    readMe(stored.token).then(
      (found) => {
        use(found ? stored : null, found);
        setChecking(false);
      },
      () => setChecking(false),
    );
  }, [use]);

  const auth = useMemo<Auth>(() => {
    const revoke = async (sessionId: string | null, token: string) => {
      await execute(
        SessionRevokeMutation,
        { input: sessionId ? { sessionId } : {}, idempotencyKey: idempotencyKey() },
        { token },
      ).catch(() => undefined);
    };
    return {
      credential,
      me,
      checking,
      signIn: (next, nextMe) => use(next, nextMe),
      signOut: async () => {
        let current = credential;
        // Signing out while impersonating ends the impersonation too.
        while (current?.kind === "impersonation" && current.previous) {
          await revoke(current.sessionId ?? null, current.previous.token);
          current = current.previous;
        }
        if (current?.kind === "session") await revoke(null, current.token);
        use(null, null);
      },
      impersonate: (token, sessionId, nextMe) => {
        use({ token, kind: "impersonation", sessionId, previous: credential }, nextMe);
      },
      stopImpersonating: async () => {
        const previous = credential?.previous ?? null;
        if (credential?.kind === "impersonation" && previous) {
          await revoke(credential.sessionId ?? null, previous.token);
          use(previous, await readMe(previous.token));
        } else {
          use(null, null);
        }
      },
      refresh: async () => {
        if (credential) use(credential, await readMe(credential.token));
      },
    };
  }, [credential, me, checking, use]);

  return <AuthContext.Provider value={auth}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error("useAuth outside <AuthProvider>");
  return auth;
}
