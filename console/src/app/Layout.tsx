import { useEffect, useState } from "react";
import type { ReactNode } from "react";
import { Link, useLocation } from "wouter";
import { useAuth } from "../lib/auth";
import { dateTime, timeLeft } from "../lib/format";
import { can } from "../lib/permissions";
import styles from "./Layout.module.css";
import { SCREENS } from "./registry";

export function useNow(everyMs = 15_000): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

export function navigation(me: Parameters<typeof can>[0]) {
  return SCREENS.filter((screen) => screen.nav && (!screen.requires || can(me, screen.requires)))
    .map((screen) => screen.nav!)
    .sort((a, b) => a.order - b.order);
}

function ImpersonationBanner() {
  const { me, credential, stopImpersonating, signOut } = useAuth();
  const now = useNow();
  if (!me?.impersonator) return null;
  const expires = me.session?.expiresAt;
  return (
    <div className={styles.banner} role="status" aria-label="Impersonation">
      <strong>Impersonating {me.user?.email ?? "a user"}</strong>
      <span>
        by {me.impersonator.name}
        {me.impersonator.email ? ` <${me.impersonator.email}>` : " (master key)"}
      </span>
      <span>{me.readOnly ? "read-only" : "can act as them"}</span>
      {expires && <span data-testid="impersonation-left">{timeLeft(expires, now)} left</span>}
      {credential?.previous ? (
        <button type="button" onClick={() => void stopImpersonating()}>
          Stop impersonating
        </button>
      ) : (
        <button type="button" onClick={() => void signOut()}>
          Sign out
        </button>
      )}
    </div>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const { me, credential, signOut } = useAuth();
  const [location] = useLocation();
  const now = useNow();
  const items = navigation(me);
  const expires = me?.session?.expiresAt;
  return (
    <div className={styles.shell}>
      <ImpersonationBanner />
      <header className={styles.header}>
        <span className={styles.brand}>Admiral console</span>
        <div className={styles.who}>
          <span data-testid="signed-in-as">
            {me?.user ? me.user.email : credential?.kind === "master-key" ? "Master key" : ""}
          </span>
          <span className={styles.scope}>{me?.scope}</span>
          {expires && (
            <span title={dateTime(expires)} data-testid="session-expiry">
              session ends in {timeLeft(expires, now)}
            </span>
          )}
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <nav className={styles.nav} aria-label="Screens">
        {items.map((item) => (
          <Link
            key={item.path}
            href={item.path}
            aria-current={location === item.path || location.startsWith(`${item.path}/`) ? "page" : undefined}
          >
            {item.label}
          </Link>
        ))}
      </nav>
      <main className={styles.main}>{children}</main>
    </div>
  );
}
