// The child's side of LockstepChild (node-child.ts), for the bench children run with --lockstep
// (train-run.ts, memory-run.ts): once initialised it prints {"ready":true}, then waits for a line on
// stdin before each step and prints {"step","ms","loss"} after it. Off, every call does nothing, so
// a child runs the same code either way. (Separate from node-child.ts, which the children must not
// bundle: it imports the bundler.)
import { createInterface } from 'node:readline';

export interface LockstepSide {
  /** Initialised: say so, then wait for the first step's turn. */
  ready(): Promise<void>;
  /** Wait for the next step's turn. */
  turn(): Promise<void>;
  /** A step finished: report it. */
  stepDone(step: number, ms: number, loss: number): void;
  close(): void;
}

export function lockstepSide(on: boolean): LockstepSide {
  const stdin = on ? createInterface({ input: process.stdin }) : null;
  const lines = stdin?.[Symbol.asyncIterator]();
  const turn = async () => {
    if (lines && (await lines.next()).done) throw new Error('--lockstep: stdin closed before every step ran');
  };
  return {
    ready: async () => {
      if (on) console.log(JSON.stringify({ ready: true }));
      await turn();
    },
    turn,
    stepDone: (step, ms, loss) => {
      if (on) console.log(JSON.stringify({ step, ms, loss }));
    },
    close: () => stdin?.close(),
  };
}
