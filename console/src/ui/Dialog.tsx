import type { ReactNode } from "react";
import styles from "./Dialog.module.css";

export function Dialog({
  title,
  children,
  actions,
  onClose,
}: {
  title: string;
  children: ReactNode;
  actions: ReactNode;
  onClose: () => void;
}) {
  return (
    <div
      className={styles.backdrop}
      onMouseDown={(event) => event.target === event.currentTarget && onClose()}
    >
      <div className={styles.dialog} role="dialog" aria-modal="true" aria-label={title}>
        <h2>{title}</h2>
        {children}
        <div className={styles.actions}>{actions}</div>
      </div>
    </div>
  );
}

export function Preview({ children }: { children: ReactNode }) {
  return (
    <div className={styles.preview} data-testid="dry-run-preview">
      <div className={styles.dry}>Dry run: nothing has changed yet</div>
      {children}
    </div>
  );
}
