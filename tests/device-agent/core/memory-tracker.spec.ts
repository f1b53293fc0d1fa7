// When memory is bounded (a parameter sharder is open), allocations count toward the next
// collection, so freed buffers never wait long for the collector; otherwise only the release points
// (checkpointed blocks, backward) and dropped buffers do.
import { afterEach, describe, expect, it } from 'vitest';
import { boundMemory, noteGarbage, releaseMemory, setMemoryReleaseHook, track } from '../../../device-agent/core/memory-tracker.js';

const MB = 2 ** 20;
let calls = 0;
afterEach(() => setMemoryReleaseHook(() => {}));

describe('memory release', () => {
  it('collects every 16 MB of allocations while bounded, and not after', () => {
    setMemoryReleaseHook(() => calls++);
    releaseMemory(); // start from a known count: a collection resets it
    boundMemory(true);
    try {
      calls = 0;
      for (let i = 0; i < 8; i++) track(new Float32Array(MB)); // 8 x 4 MB
      expect(calls).toBe(2);
    } finally {
      boundMemory(false);
    }
    calls = 0;
    for (let i = 0; i < 8; i++) track(new Float32Array(MB));
    expect(calls).toBe(0);
    noteGarbage(16 * MB); // dropped buffers still count
    expect(calls).toBe(1);
  });
});
