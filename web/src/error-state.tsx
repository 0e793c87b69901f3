import type { ReactNode } from 'react';

/**
 * What a page shows when what it asked the server for did not come: what failed, why, and, when a
 * second try may work, a "Try again" button (or `children`: a way out, such as a link up).
 */
export function ErrorState({ title, message, onRetry, children }: { title: ReactNode; message: ReactNode; onRetry?: () => void; children?: ReactNode }) {
  return (
    <div className="state state-error" role="alert">
      <h2>{title}</h2>
      <p>{message}</p>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
      {children}
    </div>
  );
}
