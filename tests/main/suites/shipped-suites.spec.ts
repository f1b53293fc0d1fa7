// Every suite shipped in benchmarks/suites parses and expands (the quick start and the docs point at them).
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandSuite, loadSuite } from '../../../main/suites/suite-expand.js';
import { repoRoot } from '../../../main/transports/local-transport.js';

const dir = path.join(repoRoot, 'benchmarks/suites');

describe('shipped suites', () => {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    it(file, () => {
      const suite = loadSuite(path.join(dir, file));
      expect(suite.name).toBe(file.replace(/\.json$/, ''));
      expect(expandSuite(suite).length).toBeGreaterThan(0);
    });
  }
  it('sharding-vs-baseline compares a baseline with sharded budgets', () => {
    const jobs = expandSuite(loadSuite(path.join(dir, 'sharding-vs-baseline.json')));
    expect(jobs.map((j) => (j.train.sharding?.enabled ? j.train.sharding.budgetMb : 'baseline'))).toEqual(['baseline', 512, 128]);
  });
});
