// The agent's HTTP side of the hub, the same in Node 20+ and browsers (both have fetch): download
// model / tokenizer / data files, upload artifacts with PUT. Errors name the URL and the status.
import type { JobContext } from './run-job.js';

async function get(url: string): Promise<Response> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return res;
}

export const hubHttp: Pick<JobContext, 'fetchBytes' | 'fetchText' | 'upload'> = {
  fetchBytes: async (url) => new Uint8Array(await (await get(url)).arrayBuffer()),
  fetchText: async (url) => (await get(url)).text(),
  upload: async (url, bytes) => {
    const res = await fetch(url, { method: 'PUT', body: bytes as Uint8Array<ArrayBuffer> });
    if (!res.ok) throw new Error(`PUT ${url}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as { sha256: string; bytes: number };
  },
};
