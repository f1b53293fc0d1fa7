// Tests of renderer/app.tsx without a browser: server-side rendering of the shell (title, page
// tabs, the "needs the controller" page without any API), the runtime line, and the pure helpers
// of the suite form (suite-json.ts). The pages themselves are exercised in Chromium by
// tests/renderer/ui-e2e.spec.ts.

import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';
import type { FleetTuneApi } from '../../main/ipc/contract';
import type { ApiClient } from '../../renderer/api/api-client';
import { App, BROWSER_LABEL, describeRuntime } from '../../renderer/app';
import { getAt, issuesAt, setAt } from '../../renderer/features/suites/suite-json';

const desktopApi = (): ApiClient => ({
  mode: 'desktop',
  invoke: vi.fn(async () => ({ version: '0.1.0', agent: 'Electron 41.7.1' })) as FleetTuneApi['invoke'],
  subscribe: vi.fn(() => () => {}),
});

describe('App', () => {
  it('says it needs the controller when there is no API', () => {
    const html = renderToString(createElement(App));
    expect(html).toContain('<h1>FleetTune</h1>');
    expect(html).toContain(BROWSER_LABEL);
    expect(html).toContain('npm run ui');
  });

  it('shows the page tabs and waits for the version when the API is there', () => {
    const html = renderToString(createElement(App, { api: desktopApi() }));
    expect(html).toContain('loading version');
    for (const tab of ['Fleet', 'Suites', 'Live', 'Compare', 'Reports']) expect(html).toContain(`>${tab}</a>`);
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
  });

  it('reports a failed call instead of throwing', async () => {
    const api: FleetTuneApi = { invoke: async () => Promise.reject(new Error('rejected')), subscribe: () => () => {} };
    await expect(describeRuntime(api)).resolves.toBe('version unavailable: rejected');
  });
});

describe('suite form helpers', () => {
  const text = JSON.stringify({ name: 's', base: { steps: 20 } }, null, 2);

  it('reads and writes values at JSON paths', () => {
    expect(getAt(JSON.parse(text), ['base', 'steps'])).toBe(20);
    expect(JSON.parse(setAt(text, ['base', 'lr'], 0.01))).toEqual({ name: 's', base: { steps: 20, lr: 0.01 } });
    expect(JSON.parse(setAt(text, ['timeouts', 'jobSeconds'], 60)).timeouts).toEqual({ jobSeconds: 60 });
    expect(JSON.parse(setAt(text, ['base', 'steps'], undefined)).base).toEqual({});
    expect(setAt('{ broken', ['name'], 'x')).toBe('{ broken');
  });

  it('gives a field the issues of its path and below', () => {
    const issue = (path: (string | number)[]) => ({ path, pathText: path.join('.'), message: 'm', line: 1 });
    const issues = [issue(['base', 'steps']), issue(['base']), issue(['name'])];
    expect(issuesAt(issues, ['base', 'steps'])).toEqual([issues[0]]);
    expect(issuesAt(issues, ['base'])).toEqual([issues[0], issues[1]]);
  });
});
