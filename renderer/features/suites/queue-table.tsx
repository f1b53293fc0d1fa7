// The queue: every started suite with its devices, state, progress (finished / total runs), why
// it waits, its error, and a Cancel button while it is queued or running. Updated live from the
// controller's queue:changed events.
import type { QueueEntry } from '../../../main/ipc/api-types';
import { fmtAgo } from '../../components/format';
import { EmptyState, Progress, StatusBadge } from '../../components/ui-bits';

export function QueueTable({ entries, onCancel }: { entries: QueueEntry[]; onCancel(id: string): void }) {
  if (!entries.length) return <EmptyState title="The queue is empty.">Start a suite above; it runs as soon as its devices are free.</EmptyState>;
  return (
    <table className="table" data-testid="queue-table">
      <thead>
        <tr><th>Suite</th><th>Devices</th><th>State</th><th>Runs</th><th>Started</th><th /></tr>
      </thead>
      <tbody>
        {[...entries].reverse().map((e) => (
          <tr key={e.id} data-testid={`queue-${e.suiteName}`}>
            <td><strong>{e.suiteName}</strong>{e.outDir && <div className="muted small mono" title="output folder">{e.outDir}</div>}</td>
            <td>{e.deviceIds.join(', ')}</td>
            <td>
              <StatusBadge status={e.status} />
              {e.waitingFor && <div className="muted small">waiting: {e.waitingFor}</div>}
              {e.error && <div className="error-text small">{e.error}</div>}
            </td>
            <td><Progress done={e.runsFinished} total={e.runsTotal} label={`${e.runsFinished} / ${e.runsTotal}${e.runsFailed ? ` (${e.runsFailed} failed)` : ''}`} /></td>
            <td className="small">{fmtAgo(e.startedAt ?? e.enqueuedAt)}</td>
            <td>
              {(e.status === 'queued' || e.status === 'running') && <button type="button" className="danger" onClick={() => onCancel(e.id)}>Cancel</button>}
              {e.status === 'running' && <a className="button-link" href="#/live">Watch live</a>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
