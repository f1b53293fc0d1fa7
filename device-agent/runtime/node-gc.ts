// Node only: V8's full garbage collection as a function, installed as the memory release hook so
// the OS-measured peak RSS follows what the trainer keeps alive, not the collector's schedule
// (activations and evicted shards are large ArrayBuffers that V8 otherwise frees late).
// Same effect as `node --expose-gc`, set at run time so every entry point gets it.
import v8 from 'node:v8';
import vm from 'node:vm';
import { setMemoryReleaseHook } from '../core/memory-tracker.js';

export function installNodeGcHook(): void {
  v8.setFlagsFromString('--expose-gc');
  setMemoryReleaseHook(vm.runInNewContext('gc') as () => void);
}
