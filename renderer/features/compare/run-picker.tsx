// The run list of the compare view: every run in the results database (newest first), narrowed
// to one suite run if wanted, each with a checkbox; and the import of a JSONL run log (a PyTorch
// reference run, or the CLI's log) as a reference run, which is selected right away.
import { useState } from 'react';
import { fmtAgo, fmtNum } from '../../components/format';
import { ErrorNote, StatusBadge } from '../../components/ui-bits';
import { errorText, useApi, useEvent, useInvoke } from '../../hooks/use-api';
import { useSelection } from '../../hooks/use-selection';

export function RunPicker() {
  const api = useApi();
  const { selection, toggleRun, update } = useSelection();
  const [suiteRunId, setSuiteRunId] = useState('');
  const suiteRuns = useInvoke('runs:list-suite-runs');
  const runs = useInvoke('runs:list', suiteRunId ? { suiteRunId } : {});
  const [importError, setImportError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // new runs appear when a suite finishes
  useEvent('queue:changed', () => {
    runs.reload();
    suiteRuns.reload();
  });

  const importFile = async (file: File | undefined) => {
    if (!api || !file) return;
    setBusy(true);
    setImportError(null);
    try {
      const run = await api.invoke('runs:import', { fileName: file.name, text: await file.text() });
      runs.reload();
      update({ runIds: [...selection.runIds, run.id] });
    } catch (e) {
      setImportError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <aside className="run-picker" data-testid="run-picker">
      <div className="picker-head">
        <select value={suiteRunId} onChange={(e) => setSuiteRunId(e.target.value)} aria-label="Suite run">
          <option value="">all runs</option>
          {(suiteRuns.data ?? []).map((s) => <option key={s.id} value={s.id}>{s.suiteName} · {fmtAgo(s.startedAt)} · {s.status}</option>)}
        </select>
        <label className="button-like">
          {busy ? 'Importing…' : 'Import JSONL log…'}
          <input type="file" accept=".jsonl,.json,.log,.txt" className="visually-hidden" data-testid="import-log"
            onChange={(e) => { void importFile(e.target.files?.[0]); e.target.value = ''; }} />
        </label>
      </div>
      <ErrorNote what="Import failed" error={importError} />
      <ErrorNote what="Could not list runs" error={runs.error} />
      {runs.data?.length === 0 && <p className="muted">No runs yet: start a suite, or import a PyTorch run log (JSONL).</p>}
      <ul className="run-list">
        {(runs.data ?? []).map((r) => (
          <li key={r.id}>
            <label className={selection.runIds.includes(r.id) ? 'selected' : ''} data-testid={`pick-${r.id}`}>
              <input type="checkbox" checked={selection.runIds.includes(r.id)} onChange={() => toggleRun(r.id)} />
              <span className="run-label">
                {r.label}
                <span className="muted small">
                  {' '}{r.kind === 'reference' ? (r.impl === 'pytorch' ? 'PyTorch reference' : 'reference') : r.deviceName ?? r.deviceId}
                  {r.suiteName ? ` · ${r.suiteName}` : ''} · {r.steps != null ? `${r.steps} steps` : 'no steps'}
                  {r.finalLoss != null ? ` · loss ${fmtNum(r.finalLoss, 4)}` : ''}
                </span>
              </span>
              <StatusBadge status={r.status} />
            </label>
          </li>
        ))}
      </ul>
    </aside>
  );
}
