// The Fleet page: every device at a glance (state, model, OS, runtime, backends and limits,
// battery, temperature, charging, what it is doing), updated live from the controller's hot-plug
// events; an empty state that says how to add a device.
import { useState } from 'react';
import type { DeviceView } from '../../../main/ipc/api-types';
import { EmptyState, ErrorNote } from '../../components/ui-bits';
import { useEvent, useInvoke } from '../../hooks/use-api';
import { DeviceCard } from './device-card';

export const NO_DEVICES = 'No devices: connect a phone with USB debugging enabled, or run on this computer.';

export function FleetPage() {
  const listed = useInvoke('fleet:list');
  const [pushed, setPushed] = useState<DeviceView[] | null>(null);
  useEvent('fleet:changed', setPushed);
  const devices = pushed ?? listed.data;
  return (
    <div className="page" data-testid="fleet-page">
      <header className="page-head">
        <h2>Fleet</h2>
        <button type="button" onClick={() => { setPushed(null); listed.reload(); }}>Refresh</button>
      </header>
      <ErrorNote what="Could not list the devices" error={listed.error} />
      {!devices && listed.loading && <p className="muted">Looking for devices…</p>}
      {devices && devices.length === 0 && (
        <EmptyState title={NO_DEVICES}>
          <p>Android: enable Developer options → USB debugging, plug the phone in and accept the prompt. This computer is always available as “local” when the controller runs on it.</p>
        </EmptyState>
      )}
      {devices && devices.length > 0 && (
        <div className="card-grid">
          {devices.map((d) => <DeviceCard key={d.id} device={d} />)}
        </div>
      )}
    </div>
  );
}
