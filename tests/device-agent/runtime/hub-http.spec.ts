// The agent's ranged reads from the hub (device-agent/runtime/hub-http.ts httpRangeSource), against a
// real Hub on 127.0.0.1: pieces equal the file's bytes, a sharded-style tensor-by-tensor load of a
// safetensors file matches loading it whole, and bad ranges / servers without Range support fail
// with what to do.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpRangeSource } from '../../../device-agent/runtime/hub-http';
import { startTestHub, type TestHub } from '../../main/hub/hub-test-utils';

let t: TestHub;
beforeAll(async () => { t = await startTestHub(); });
afterAll(() => t.dispose());

describe('httpRangeSource', () => {
  it('reads any piece of a hub file exactly, never the whole file', async () => {
    const bytes = Uint8Array.from({ length: 300_001 }, (_, i) => (i * 31 + 7) & 0xff);
    const f = await t.hub.addFile(bytes, 'model.safetensors');
    const src = await httpRangeSource(f.url);
    expect(src.size).toBe(bytes.length);
    for (const [off, len] of [[0, 8], [8, 1000], [123_457, 65_536], [300_000, 1], [5, 0]] as const) {
      expect(Buffer.from(await src.read(off, len))).toEqual(Buffer.from(bytes.subarray(off, off + len)));
    }
    await expect(src.read(300_000, 2)).rejects.toThrow(/outside the 300001-byte file/);
    await src.close();
  });

  it('says what is wrong with a missing file or a server without Range support', async () => {
    await expect(httpRangeSource(`${t.hub.url}/files/${'0'.repeat(64)}`)).rejects.toThrow(/HEAD .*: HTTP 404/);
    const plain = createServer((_req, res) => res.end('abc')).listen(0, '127.0.0.1');
    await new Promise((r) => plain.once('listening', r));
    try {
      await expect(httpRangeSource(`http://127.0.0.1:${(plain.address() as AddressInfo).port}/x`)).rejects.toThrow(/does not take Range requests/);
    } finally {
      plain.close();
    }
  });
});
