// One device on the Fleet page: name and state badge, then model, OS, runtime, CPU and memory,
// backends with their limits (known once the device has run a job), battery with charging state,
// temperature, the probes its transport offers, and what the queue has it doing.
import type { DeviceView } from '../../../main/ipc/api-types';
import { fmtBytes, fmtNum } from '../../components/format';
import { Stat, StatusBadge } from '../../components/ui-bits';

export function DeviceCard({ device: d }: { device: DeviceView }) {
  const battery = d.battery ? `${fmtNum(d.battery.pct, 3)} %${d.battery.charging ? ', charging' : ', on battery'}` : 'not reported';
  return (
    <article className="card device-card" data-testid={`device-${d.id}`}>
      <header className="card-head">
        <div>
          <h3>{d.name}</h3>
          <p className="muted small">{d.id} · {d.transport}</p>
        </div>
        <StatusBadge status={d.state} />
      </header>
      {d.activity && <p className="activity">{d.activity}</p>}
      <div className="stat-grid">
        <Stat label="Model" value={d.model} />
        <Stat label="OS" value={`${d.os} ${d.osVersion}`} />
        <Stat label="Runtime / browser" value={d.browser ?? 'unknown'} />
        <Stat label="CPU cores · memory" value={`${d.cpuCores ?? '?'} · ${fmtBytes(d.memoryBytes, '?')}`} />
        <Stat label="Battery" value={battery} />
        <Stat label="Temperature" value={d.temperatureC == null ? 'not reported' : `${fmtNum(d.temperatureC, 3)} °C`} />
      </div>
      <div className="backends">
        <div className="stat-label">Backends</div>
        {d.backends ? (
          <ul>
            {d.backends.map((b) => (
              <li key={b.name}>
                <strong>{b.name}</strong>
                <span className="muted small"> {Object.entries(b.limits).map(([k, v]) => `${k}=${String(v)}`).join(', ') || 'no limits reported'}</span>
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted small">known after the device's first job (the agent reports them)</p>
        )}
      </div>
      <p className="muted small">Probes: {d.capabilities.length ? d.capabilities.join(', ') : 'none'}</p>
    </article>
  );
}
