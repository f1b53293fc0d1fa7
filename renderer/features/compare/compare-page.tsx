// The Compare view: pick any runs (device runs, PyTorch reference runs, imported logs), then see
// their loss overlaid by step / tokens / wall time with an EMA smoothing slider, repeats as
// mean ± std bands, each run's difference to a chosen reference, peak-RSS bars per device and
// sharding budget, and the conditions side by side. All series come ready from compare:build.
import { useEffect, useState } from 'react';
import type { Comparison } from '../../../main/ipc/api-types';
import { EmptyState, ErrorNote } from '../../components/ui-bits';
import { errorText, useApi } from '../../hooks/use-api';
import { useSelection } from '../../hooks/use-selection';
import { CompareCharts } from './compare-charts';
import { CompareControls } from './compare-controls';
import { ConditionsTableView } from './conditions-table-view';
import { RunPicker } from './run-picker';

export function ComparePage() {
  const api = useApi();
  const { selection } = useSelection();
  const [comparison, setComparison] = useState<Comparison | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const key = JSON.stringify(selection);
  useEffect(() => {
    if (!api || !selection.runIds.length) return setComparison(null);
    let live = true;
    setLoading(true);
    // a slider drag sends one request per pause, not one per pixel
    const t = setTimeout(() => {
      api.invoke('compare:build', { ...selection }).then(
        (c) => live && (setComparison(c), setError(null), setLoading(false)),
        (e: unknown) => live && (setError(errorText(e)), setLoading(false)),
      );
    }, 150);
    return () => {
      live = false;
      clearTimeout(t);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the selection is compared by value
  }, [api, key]);

  return (
    <div className="page" data-testid="compare-page">
      <header className="page-head">
        <h2>Compare</h2>
        {loading && <span className="muted small">updating…</span>}
      </header>
      <div className="compare-layout">
        <RunPicker />
        <section className="compare-main">
          <CompareControls comparison={comparison} />
          <ErrorNote what="Could not build the comparison" error={error} />
          {!selection.runIds.length && (
            <EmptyState title="No runs selected.">
              Tick runs in the list (device runs, PyTorch references, or a JSONL log you import) to overlay their loss curves.
            </EmptyState>
          )}
          {comparison && selection.runIds.length > 0 && (
            <>
              {comparison.notes.length > 0 && (
                <ul className="notes" data-testid="compare-notes">{comparison.notes.map((n) => <li key={n}>{n}</li>)}</ul>
              )}
              <CompareCharts comparison={comparison} />
              <ConditionsTableView table={comparison.conditions} />
            </>
          )}
        </section>
      </div>
    </div>
  );
}
