// The compare view's controls: x axis (step, tokens, wall time), EMA smoothing slider (0 = raw,
// TensorBoard's default 0.6), the reference run for the difference chart, and whether repeats are
// drawn as mean ± std bands. They edit the shared selection; the controller recomputes.
import type { AlignAxis, Comparison } from '../../../main/ipc/api-types';
import { useSelection } from '../../hooks/use-selection';

const axes: [AlignAxis, string][] = [['step', 'step'], ['tokens', 'tokens'], ['wall', 'wall time']];

export function CompareControls({ comparison }: { comparison: Comparison | null }) {
  const { selection, update } = useSelection();
  const labels = new Map((comparison?.lines ?? []).map((l) => [l.runId, l.label]));
  return (
    <div className="controls" data-testid="compare-controls">
      <fieldset className="segmented">
        <legend>Align by</legend>
        {axes.map(([a, label]) => (
          <label key={a} className={selection.align === a ? 'on' : ''}>
            <input type="radio" name="align" value={a} checked={selection.align === a} onChange={() => update({ align: a })} />
            {label}
          </label>
        ))}
      </fieldset>
      <label className="inline-control">
        Smoothing
        <input type="range" min={0} max={0.99} step={0.01} value={selection.smoothing} aria-label="EMA smoothing weight"
          onChange={(e) => update({ smoothing: Number(e.target.value) })} data-testid="smoothing" />
        <span className="mono">{selection.smoothing.toFixed(2)}</span>
      </label>
      <label className="inline-control">
        Reference
        <select value={selection.referenceRunId ?? ''} onChange={(e) => update({ referenceRunId: e.target.value || null })} data-testid="reference-select">
          <option value="">none</option>
          {selection.runIds.map((id) => <option key={id} value={id}>{labels.get(id) ?? id}</option>)}
        </select>
      </label>
      <label className="inline-control">
        <input type="checkbox" checked={selection.bands} onChange={(e) => update({ bands: e.target.checked })} />
        repeats as mean ± std
      </label>
    </div>
  );
}
