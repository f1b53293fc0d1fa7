// Tests of renderer/app.tsx without a browser: server-side rendering for the markup, and the
// runtime line with and without the preload API.

import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';
import type { FleetTuneApi } from '../../main/ipc/contract';
import { App, BROWSER_LABEL, describeRuntime } from '../../renderer/app';

const desktopApi = (): FleetTuneApi => ({
  invoke: vi.fn(async () => ({ version: '0.1.0', agent: 'Electron 41.7.1' })) as FleetTuneApi['invoke'],
});

describe('App', () => {
  it('says it runs in a browser when there is no preload API', () => {
    const html = renderToString(createElement(App));
    expect(html).toContain('<h1>FleetTune</h1>');
    expect(html).toContain(BROWSER_LABEL);
  });

  it('waits for the version when the API is there', () => {
    const html = renderToString(createElement(App, { api: desktopApi() }));
    expect(html).toContain('<h1>FleetTune</h1>');
    expect(html).toContain('loading version');
  });
});

describe('describeRuntime', () => {
  it('shows the version and runtime from app:version', async () => {
    const api = desktopApi();
    await expect(describeRuntime(api)).resolves.toBe('version 0.1.0 · Electron 41.7.1');
    expect(api.invoke).toHaveBeenCalledWith('app:version');
  });

  it('says running in a browser without the API', async () => {
    await expect(describeRuntime(undefined)).resolves.toBe(BROWSER_LABEL);
    expect(BROWSER_LABEL).toMatch(/running in a browser/);
  });

  it('reports a failed call instead of throwing', async () => {
    const api: FleetTuneApi = { invoke: async () => Promise.reject(new Error('rejected')) };
    await expect(describeRuntime(api)).resolves.toBe('version unavailable: rejected');
  });
});
