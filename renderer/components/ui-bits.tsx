// Small presentational pieces every page uses: an empty state that says what to do, an error
// note a person can act on, a status badge with a colour per state, a labelled statistic, and a
// progress bar with its numbers. No data fetching here.

import type { ReactNode } from 'react';

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty" role="status">
      <p className="empty-title">{title}</p>
      {children && <div className="empty-body">{children}</div>}
    </div>
  );
}

export function ErrorNote({ error, what }: { error: string | null | undefined; what?: string }) {
  if (!error) return null;
  return (
    <div className="error-note" role="alert">
      {what ? <strong>{what}: </strong> : null}
      {error}
    </div>
  );
}

const tones: Record<string, string> = {
  connected: 'ok', done: 'ok', running: 'busy', busy: 'busy', launching: 'busy', reference: 'busy', queued: 'wait', cooling: 'wait',
  cancelling: 'wait', unauthorized: 'warn', offline: 'bad', failed: 'bad', cancelled: 'muted', interrupted: 'bad',
};

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${tones[status] ?? 'muted'}`}>{status}</span>;
}

/** A labelled number; `note` is a short muted line under it (e.g. why it was not measured). */
export function Stat({ label, value, title, note }: { label: string; value: ReactNode; title?: string; note?: string | null }) {
  return (
    <div className="stat" title={title}>
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
      {note && <div className="stat-note">{note}</div>}
    </div>
  );
}

export function Progress({ done, total, label }: { done: number; total: number | null; label?: string }) {
  const pct = total ? Math.min(100, Math.round((done / total) * 100)) : 0;
  return (
    <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={total ?? undefined} aria-valuenow={done}>
      <div className="progress-track">
        <div className="progress-fill" style={{ width: `${pct}%` }} />
      </div>
      <span className="progress-text">{label ?? (total ? `${done} / ${total}` : `${done}`)}</span>
    </div>
  );
}
