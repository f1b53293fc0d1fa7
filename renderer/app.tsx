// The top-level page: the title and where the app runs (version and runtime from the main process
// through `window.fleettune`, or "running in a browser" when there is no preload). Feature pages will
// live in renderer/features/<feature>/. Imports only types from main/ipc.

import { useEffect, useState } from 'react';
import type { FleetTuneApi } from '../main/ipc/contract';

export const BROWSER_LABEL = 'running in a browser (no desktop API)';

/** The API the preload exposed, or undefined in a plain browser (or outside any browser). */
export function getFleetTuneApi(): FleetTuneApi | undefined {
  return typeof window === 'undefined' ? undefined : window.fleettune;
}

/** One line saying what runs the page; never throws. */
export async function describeRuntime(api: FleetTuneApi | undefined): Promise<string> {
  if (!api) return BROWSER_LABEL;
  try {
    const { version, agent } = await api.invoke('app:version');
    return `version ${version} · ${agent}`;
  } catch (err) {
    return `version unavailable: ${err instanceof Error ? err.message : String(err)}`;
  }
}

export function App({ api = getFleetTuneApi() }: { api?: FleetTuneApi }) {
  const [runtime, setRuntime] = useState(api ? 'loading version…' : BROWSER_LABEL);

  useEffect(() => {
    let live = true;
    void describeRuntime(api).then((line) => {
      if (live) setRuntime(line);
    });
    return () => {
      live = false;
    };
  }, [api]);

  return (
    <main>
      <h1>FleetTune</h1>
      <p className="runtime">{runtime}</p>
    </main>
  );
}
