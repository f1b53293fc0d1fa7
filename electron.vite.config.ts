// electron-vite build of the desktop app: main process (main/index.ts -> out/main/index.js, ESM),
// preload (main/preload.ts -> out/preload/index.cjs) and renderer (renderer/index.html ->
// out/renderer/). The preload is CommonJS on purpose: sandboxed preloads cannot be ES modules.
// In dev the renderer's CSP gets a per-start nonce so Vite's client and React Refresh's inline
// preamble can run without 'unsafe-inline'. Follows electron-vite's "Configuring" guide.

import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';

const fromRoot = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

const CSP_META_RE = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/i;

/**
 * The dev server's version of the page's CSP: adds 'nonce-<nonce>' to script-src and style-src and
 * moves the CSP meta tag to the top of <head>. A meta CSP governs only what follows it, and Vite
 * prepends its client and React Refresh's inline preamble to <head>: without the move they would
 * run unchecked, and dev would not enforce the policy that the built app does.
 */
export function devContentSecurityPolicy(html: string, nonce: string): string {
  const match = CSP_META_RE.exec(html);
  if (!match) throw new Error('renderer/index.html: no Content-Security-Policy meta tag found');
  const directives = match[1].split(';').map((d) => d.trim()).filter(Boolean);
  for (const name of ['script-src', 'style-src']) {
    const i = directives.findIndex((d) => d.split(/\s+/)[0] === name);
    if (i < 0) throw new Error(`renderer/index.html: the CSP needs an explicit ${name} directive`);
    directives[i] += ` 'nonce-${nonce}'`;
  }
  const meta = `<meta http-equiv="Content-Security-Policy" content="${directives.join('; ')}" />`;
  const withoutMeta = html.slice(0, match.index) + html.slice(match.index + match[0].length).replace(/^\s*\/?>/, '');
  const head = /<head[^>]*>/i.exec(withoutMeta);
  if (!head) throw new Error('renderer/index.html: no <head> tag found');
  const at = head.index + head[0].length;
  return `${withoutMeta.slice(0, at)}\n    ${meta}${withoutMeta.slice(at)}`;
}

function devCspNonce(nonce: string): Plugin {
  return {
    name: 'fleettune:dev-csp-nonce',
    apply: 'serve',
    // 'post': after Vite and the React plugin have injected their tags (Vite adds the nonce
    // attributes after all plugin hooks).
    transformIndexHtml: { order: 'post', handler: (html) => devContentSecurityPolicy(html, nonce) },
  };
}

export default defineConfig(({ command }) => {
  // Vite puts this nonce on every tag it injects and in <meta property="csp-nonce"> for the styles
  // its client adds at runtime. Build output needs none: it has no inline script or style.
  const devNonce = command === 'serve' ? randomBytes(16).toString('base64') : undefined;
  return {
    main: {
      build: { rolldownOptions: { input: { index: fromRoot('./main/index.ts') } } },
    },
    preload: {
      build: {
        rolldownOptions: {
          input: { index: fromRoot('./main/preload.ts') },
          output: { format: 'cjs', entryFileNames: '[name].cjs' },
        },
      },
    },
    renderer: {
      root: fromRoot('./renderer'),
      plugins: [react(), ...(devNonce ? [devCspNonce(devNonce)] : [])],
      html: devNonce ? { cspNonce: devNonce } : undefined,
      server: { host: '127.0.0.1' },
      build: { rolldownOptions: { input: { index: fromRoot('./renderer/index.html') } } },
    },
  };
});
