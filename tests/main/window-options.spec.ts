// Tests of main/window-options.ts: the renderer's security flags, where the renderer is loaded from,
// and the navigation / window-open / <webview> guards. Electron is not needed: the module imports
// only Electron types, and the web contents below is a recording fake.

import { pathToFileURL } from 'node:url';
import type { WebContents } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import {
  buildWebPreferences,
  buildWindowOptions,
  hardenWebContents,
  isAppUrl,
  isNavigationAllowed,
  resolveRendererSource,
  type RendererSource,
} from '../../main/window-options';

const rendererFile = '/opt/fleettune/out/renderer/index.html';
const fileSource: RendererSource = { kind: 'file', file: rendererFile };
const devSource: RendererSource = { kind: 'dev', url: 'http://127.0.0.1:5173/' };

describe('webPreferences', () => {
  it('isolates the context, sandboxes the renderer and keeps Node out', () => {
    const prefs = buildWebPreferences('/x/preload/index.cjs');
    expect(prefs).toMatchObject({
      preload: '/x/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
    });
  });

  it('is what the window is built with', () => {
    const opts = buildWindowOptions('/x/preload/index.cjs');
    expect(opts.webPreferences).toEqual(buildWebPreferences('/x/preload/index.cjs'));
    expect(opts.show).toBe(false);
    expect(opts.title).toBe('FleetTune');
  });
});

describe('resolveRendererSource', () => {
  it('uses the dev server URL when unpackaged', () => {
    expect(resolveRendererSource({ devUrl: 'http://localhost:5173', isPackaged: false, rendererFile })).toEqual({
      kind: 'dev',
      url: 'http://localhost:5173/',
    });
  });

  it('ignores ELECTRON_RENDERER_URL in a packaged app', () => {
    expect(resolveRendererSource({ devUrl: 'http://127.0.0.1:5173', isPackaged: true, rendererFile })).toEqual(fileSource);
  });

  it('loads the built file without a dev URL', () => {
    expect(resolveRendererSource({ devUrl: undefined, isPackaged: false, rendererFile })).toEqual(fileSource);
  });

  it('refuses a dev URL that is not a loopback http(s) URL', () => {
    expect(() => resolveRendererSource({ devUrl: 'https://example.com/', isPackaged: false, rendererFile })).toThrow(
      /ELECTRON_RENDERER_URL/,
    );
    expect(() => resolveRendererSource({ devUrl: 'file:///tmp/x.html', isPackaged: false, rendererFile })).toThrow();
  });
});

describe('isAppUrl', () => {
  it('accepts the built index.html, with or without hash and query', () => {
    const own = pathToFileURL(rendererFile).href;
    expect(isAppUrl(own, fileSource)).toBe(true);
    expect(isAppUrl(`${own}#/runs`, fileSource)).toBe(true);
    expect(isAppUrl(`${own}?x=1`, fileSource)).toBe(true);
  });

  it('rejects other files and other schemes for the built app', () => {
    expect(isAppUrl('file:///etc/passwd', fileSource)).toBe(false);
    expect(isAppUrl('file:///opt/fleettune/out/renderer/other.html', fileSource)).toBe(false);
    expect(isAppUrl('https://example.com/', fileSource)).toBe(false);
    expect(isAppUrl('not a url', fileSource)).toBe(false);
  });

  it('accepts exactly the dev server origin in dev', () => {
    expect(isAppUrl('http://127.0.0.1:5173/index.html', devSource)).toBe(true);
    expect(isAppUrl('http://127.0.0.1:5174/', devSource)).toBe(false);
    expect(isAppUrl('http://localhost:5173/', devSource)).toBe(false);
    expect(isAppUrl('https://127.0.0.1:5173/', devSource)).toBe(false);
  });
});

describe('navigation guard', () => {
  it('denies every navigation in the built app, even to its own page', () => {
    expect(isNavigationAllowed(pathToFileURL(rendererFile).href, fileSource)).toBe(false);
    expect(isNavigationAllowed('https://example.com/', fileSource)).toBe(false);
  });

  it('allows only the dev server origin in dev', () => {
    expect(isNavigationAllowed('http://127.0.0.1:5173/', devSource)).toBe(true);
    expect(isNavigationAllowed('https://example.com/', devSource)).toBe(false);
    expect(isNavigationAllowed('javascript:alert(1)', devSource)).toBe(false);
  });
});

/** A web contents that records the listeners and the window-open handler it is given. */
function fakeContents() {
  const listeners = new Map<string, (event: { url?: string; preventDefault(): void }) => void>();
  let openHandler: ((details: { url: string }) => { action: string }) | undefined;
  const contents = {
    on(name: string, listener: (event: { url?: string; preventDefault(): void }) => void) {
      listeners.set(name, listener);
      return contents;
    },
    setWindowOpenHandler(handler: (details: { url: string }) => { action: string }) {
      openHandler = handler;
    },
  };
  const fire = (name: string, url?: string) => {
    const event = { url, preventDefault: vi.fn() };
    const listener = listeners.get(name);
    if (!listener) throw new Error(`no ${name} listener installed`);
    listener(event);
    return event.preventDefault;
  };
  return { contents: contents as unknown as WebContents, fire, open: (url: string) => openHandler?.({ url }) };
}

describe('hardenWebContents', () => {
  it('prevents navigation away from the app', () => {
    const fake = fakeContents();
    hardenWebContents(fake.contents, fileSource);
    expect(fake.fire('will-navigate', 'https://example.com/')).toHaveBeenCalledOnce();
    expect(fake.fire('will-navigate', pathToFileURL(rendererFile).href)).toHaveBeenCalledOnce();
  });

  it('lets the dev server reload its own origin', () => {
    const fake = fakeContents();
    hardenWebContents(fake.contents, devSource);
    expect(fake.fire('will-navigate', 'http://127.0.0.1:5173/')).not.toHaveBeenCalled();
    expect(fake.fire('will-navigate', 'http://evil.example/')).toHaveBeenCalledOnce();
  });

  it('denies window.open and <webview>', () => {
    const fake = fakeContents();
    hardenWebContents(fake.contents, devSource);
    expect(fake.open('http://127.0.0.1:5173/')).toEqual({ action: 'deny' });
    expect(fake.open('https://example.com/')).toEqual({ action: 'deny' });
    expect(fake.fire('will-attach-webview')).toHaveBeenCalledOnce();
  });
});
