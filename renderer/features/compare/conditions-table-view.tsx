// The conditions and results of the compared runs side by side (one column per run), as the
// controller formatted them (main/api/conditions-table.ts); "—" where nobody recorded a
// condition, "not measured" shown in italics. Formats nothing itself.
import type { ConditionsTable } from '../../../main/ipc/api-types';

export function ConditionsTableView({ table }: { table: ConditionsTable }) {
  if (!table.columns.length) return null;
  return (
    <section className="card">
      <h3>Conditions and results</h3>
      <div className="scroll-x">
        <table className="table conditions" data-testid="conditions-table">
          <thead>
            <tr><th />{table.columns.map((c) => <th key={c.runId} scope="col">{c.label}</th>)}</tr>
          </thead>
          <tbody>
            {table.rows.map((r) => (
              <tr key={r.key}>
                <th scope="row">{r.label}</th>
                {r.values.map((v, i) => <td key={i} className={v == null ? 'muted' : v.startsWith('not measured') ? 'not-measured' : undefined}>{v ?? '—'}</td>)}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
