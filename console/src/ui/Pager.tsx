// Keyset paging: the next page starts `after` the last cursor; going back pops the stack of
// cursors this screen followed (a Relay connection has no offsets to jump to).
import { useState } from "react";

export interface PageInfo {
  hasNextPage: boolean;
  endCursor: string | null;
}

export function useCursors(): {
  after: string | null;
  page: number;
  next: (cursor: string | null) => void;
  previous: () => void;
  reset: () => void;
} {
  const [stack, setStack] = useState<string[]>([]);
  return {
    after: stack.length ? stack[stack.length - 1] : null,
    page: stack.length + 1,
    next: (cursor) => cursor && setStack((items) => [...items, cursor]),
    previous: () => setStack((items) => items.slice(0, -1)),
    reset: () => setStack([]),
  };
}

export function Pager({
  pageInfo,
  page,
  total,
  onNext,
  onPrevious,
}: {
  pageInfo: PageInfo | undefined;
  page: number;
  total?: number;
  onNext: () => void;
  onPrevious: () => void;
}) {
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" onClick={onPrevious} disabled={page <= 1}>
        ← Previous
      </button>
      <span>
        Page {page}
        {total !== undefined && ` · ${total} in all`}
      </span>
      <button type="button" onClick={onNext} disabled={!pageInfo?.hasNextPage}>
        Next →
      </button>
    </nav>
  );
}
