// The top-level page: the header (title, where the app runs), the navigation between the feature
// pages (Fleet, Suites, Live, Compare, Reports; routed by the URL hash), and the providers every
// page uses: the API client (Electron IPC or the browser-mode HTTP API) and the shared comparison
// selection. Without any API (a page opened by hand) it says how to start the controller.
// Imports only types from main/ipc.

import { useEffect, useState } from 'react';
import type { FleetTuneApi } from '../main/ipc/contract';
import { createApiClient, type ApiClient } from './api/api-client';
import { ComparePage } from './features/compare/compare-page';
import { FleetPage } from './features/fleet/fleet-page';
import { ReportsPage } from './features/reports/reports-page';
import { LivePage } from './features/runs/live-page';
import { SuitesPage } from './features/suites/suites-page';
import { ApiContext } from './hooks/use-api';
import { useHashRoute, type Page } from './hooks/use-hash-route';
import { SelectionContext, useSelectionState } from './hooks/use-selection';

export const BROWSER_LABEL = 'running in a browser (no desktop API)';

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

const nav: [Page, string][] = [['fleet', 'Fleet'], ['suites', 'Suites'], ['live', 'Live'], ['compare', 'Compare'], ['reports', 'Reports']];

function Pages({ page }: { page: Page }) {
  switch (page) {
    case 'fleet': return <FleetPage />;
    case 'suites': return <SuitesPage />;
    case 'live': return <LivePage />;
    case 'compare': return <ComparePage />;
    case 'reports': return <ReportsPage />;
  }
}

export function App({ api: given }: { api?: ApiClient }) {
  const [api] = useState(() => given ?? createApiClient());
  const [runtime, setRuntime] = useState(api ? 'loading version…' : BROWSER_LABEL);
  const [page, go] = useHashRoute();
  const selection = useSelectionState();

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
    <ApiContext.Provider value={api}>
      <SelectionContext.Provider value={selection}>
        <header className="app-head">
          <h1>FleetTune</h1>
          <nav className="tabs" aria-label="Pages">
            {nav.map(([p, label]) => (
              <a key={p} href={`#/${p}`} className={page === p ? 'tab active' : 'tab'} aria-current={page === p ? 'page' : undefined}
                onClick={(e) => { e.preventDefault(); go(p); }} data-testid={`nav-${p}`}>
                {label}{p === 'compare' && selection.selection.runIds.length ? ` (${selection.selection.runIds.length})` : ''}
              </a>
            ))}
          </nav>
          <p className="runtime">{runtime}</p>
        </header>
        <main>
          {api ? <Pages page={page} /> : (
            <div className="page">
              <div className="empty">
                <p className="empty-title">This page needs the FleetTune controller.</p>
                <p>Run <code>npm run ui</code> and open the URL it prints (it ends in <code>?token=…</code>), or start the desktop app with <code>npm run dev</code>.</p>
              </div>
            </div>
          )}
        </main>
      </SelectionContext.Provider>
    </ApiContext.Provider>
  );
}
