// The agent's HTTP side of the hub, the same in Node 20+ and browsers (both have fetch): download
// model / tokenizer / data files (whole, or piece by piece with Range requests), upload artifacts
// with PUT. Errors name the URL and the status.
import { checkRange, type ByteSource } from '../io/byte-source.js';
import type { JobContext } from './run-job.js';

/**
 * A file on the hub read piece by piece with HTTP Range requests (the hub's /files support them),
 * so a sharded model is loaded tensor by tensor without the whole file ever being in memory.
 */
export async function httpRangeSource(url: string): Promise<ByteSource> {
  const head = await fetch(url, { method: 'HEAD' });
  if (!head.ok) throw new Error(`HEAD ${url}: HTTP ${head.status}`);
  const size = Number(head.headers.get('content-length'));
  if (!Number.isSafeInteger(size) || size < 0) throw new Error(`HEAD ${url}: no usable Content-Length; the server must say how big the file is`);
  if (head.headers.get('accept-ranges') !== 'bytes') throw new Error(`${url}: the server does not take Range requests (no "Accept-Ranges: bytes"); download the file whole instead`);
  return {
    size,
    read: async (offset, length) => {
      checkRange(size, offset, length, url);
      if (length === 0) return new Uint8Array(0);
      const res = await fetch(url, { headers: { Range: `bytes=${offset}-${offset + length - 1}` } });
      if (res.status !== 206) throw new Error(`GET ${url} bytes ${offset}-${offset + length - 1}: HTTP ${res.status}, expected 206 Partial Content`);
      const out = new Uint8Array(await res.arrayBuffer());
      if (out.length !== length) throw new Error(`GET ${url}: got ${out.length} of ${length} bytes at ${offset}; the file changed on the hub`);
      return out;
    },
    close: async () => {},
  };
}

async function get(url: string): Promise<Response> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return res;
}

export const hubHttp: Pick<JobContext, 'fetchBytes' | 'fetchSource' | 'fetchText' | 'upload'> = {
  fetchBytes: async (url) => new Uint8Array(await (await get(url)).arrayBuffer()),
  fetchSource: httpRangeSource,
  fetchText: async (url) => (await get(url)).text(),
  upload: async (url, bytes) => {
    const res = await fetch(url, { method: 'PUT', body: bytes as Uint8Array<ArrayBuffer> });
    if (!res.ok) throw new Error(`PUT ${url}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as { sha256: string; bytes: number };
  },
};
