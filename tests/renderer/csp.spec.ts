// Tests of the renderer's Content-Security-Policy (renderer/index.html) and of the dev-server variant
// electron.vite.config.ts serves (per-start nonce, policy moved ahead of Vite's injected tags).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { devContentSecurityPolicy } from '../../electron.vite.config';

const html = readFileSync(new URL('../../renderer/index.html', import.meta.url), 'utf8');

function policyOf(page: string): Map<string, string[]> {
  const content = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/i.exec(page)?.[1];
  if (content === undefined) throw new Error('no CSP meta tag');
  const directives = content.split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]);
  return new Map(directives.map(([name, ...values]) => [name, values]));
}

describe('renderer CSP', () => {
  const csp = policyOf(html);

  it('allows only the app itself by default', () => {
    expect(csp.get('default-src')).toEqual(["'self'"]);
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(csp.get('style-src')).toEqual(["'self'"]);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(csp.get('base-uri')).toEqual(["'none'"]);
  });

  it('never allows eval or inline code', () => {
    for (const values of csp.values()) {
      expect(values).not.toContain("'unsafe-eval'");
      expect(values).not.toContain("'unsafe-inline'");
      expect(values).not.toContain('*');
    }
  });

  it('connects only to the app and to 127.0.0.1', () => {
    expect(csp.get('connect-src')).toEqual(["'self'", 'ws://127.0.0.1:*', 'http://127.0.0.1:*']);
  });

  it('comes before every script and stylesheet', () => {
    const metaAt = html.search(/http-equiv="Content-Security-Policy"/i);
    const firstCode = html.search(/<script|<link\s+rel="stylesheet"|<style/i);
    expect(metaAt).toBeGreaterThan(0);
    expect(firstCode).toBeGreaterThan(metaAt);
  });
});

describe('dev server CSP', () => {
  const injected = html.replace('<head>', '<head>\n<script type="module" nonce="n0nce">/* preamble */</script>');
  const dev = devContentSecurityPolicy(injected, 'n0nce');

  it('adds the nonce to script-src and style-src only', () => {
    const csp = policyOf(dev);
    expect(csp.get('script-src')).toEqual(["'self'", "'nonce-n0nce'"]);
    expect(csp.get('style-src')).toEqual(["'self'", "'nonce-n0nce'"]);
    expect(csp.get('default-src')).toEqual(["'self'"]);
    expect(csp.get('connect-src')).toEqual(policyOf(html).get('connect-src'));
  });

  it('moves the policy ahead of the injected tags and keeps one copy', () => {
    expect(dev.search(/http-equiv="Content-Security-Policy"/)).toBeLessThan(dev.indexOf('<script'));
    expect(dev.match(/http-equiv="Content-Security-Policy"/g)).toHaveLength(1);
  });
});
