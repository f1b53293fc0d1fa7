// Child process for crash-safety.spec.ts (not a test itself): opens the results store given as
// argv[2], then writes batches of 50 steps (plus memory samples) forever, printing "committed N"
// after each batch's transaction returns. The test SIGKILLs it mid-write and never lets it close.
import { ResultsStore } from '../../../main/store/results-store';

const store = ResultsStore.open(process.argv[2]);
store.upsertDevice({ id: 'local', transport: 'local' });
const runId = store.createRun({ id: 'crash-run', kind: 'device', impl: 'fleettune', deviceId: 'local', status: 'running' });
const BATCH = 50;
let step = 0;
process.stdout.write('ready\n');
for (;;) {
  const rows = Array.from({ length: BATCH }, () => {
    step++;
    return { step, loss: 5 / Math.sqrt(step), lr: 1e-3, tokens: step * 256, ms: 12.5 };
  });
  store.addSteps(runId, rows);
  store.addMemorySamples(runId, [{ tMs: step * 10, rssBytes: 100_000_000 + step }]);
  process.stdout.write(`committed ${step}\n`);
}
