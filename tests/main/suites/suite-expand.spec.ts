// Suite files: matrix expansion into jobs with stable keys, defaults, and errors that name the
// file and the exact JSON path.
import { describe, expect, it } from 'vitest';
import { expandSuite, parseSuite } from '../../../main/suites/suite-expand.js';

const base = { name: 's', models: { a: { kind: 'fixture' }, b: { kind: 'hf-dir', path: '/m' } }, datasets: { d: { kind: 'fixture' } } };
const parse = (extra: object) => parseSuite(JSON.stringify({ ...base, ...extra }), 'my-suite.json');

describe('suite files', () => {
  it('expands the matrix (x repeats) into jobs with stable keys and validated hyper-parameters', () => {
    const jobs = expandSuite(parse({ matrix: { model: ['a', 'b'], seqLen: [16, 32], mode: ['lora', 'full'] }, repeats: 2, base: { steps: 5 } }));
    expect(jobs).toHaveLength(2 * 2 * 2 * 2);
    expect(new Set(jobs.map((j) => j.key)).size).toBe(jobs.length);
    const full = jobs.find((j) => j.model === 'b' && j.train.seqLen === 32 && j.train.mode === 'full' && j.repeat === 1)!;
    expect(full.key).toBe('model=b,dataset=d,seqLen=32,mode="full",rep=1');
    expect(full.train.lora).toBeUndefined();
    expect(full.train.steps).toBe(5);
    expect(jobs.find((j) => j.train.mode === 'lora')!.train.lora).toMatchObject({ r: 8, alpha: 16 });
    expect(expandSuite(parse({}))).toHaveLength(1);
  });

  it('names the file and path of every mistake', () => {
    expect(() => parseSuite('{"name": ', 'bad.json')).toThrow(/^bad\.json: not valid JSON/);
    expect(() => parse({ models: { a: { kind: 'hf-dir' } } })).toThrow(/my-suite\.json: models\.a\.path: /);
    expect(() => parse({ models: { a: { kind: 'onnx' } } })).toThrow(/my-suite\.json: models\.a\.kind/);
    expect(() => parse({ matrix: { model: ['a', 'zzz'] } })).toThrow(/my-suite\.json: matrix\.model\[1\]: no model named "zzz"/);
    expect(() => parse({ matrix: { learningRate: [1] } })).toThrow(/matrix\.learningRate: not a hyper-parameter/);
    expect(() => parse({ base: { lr: -1 } })).toThrow(/my-suite\.json: base\.lr: /);
    expect(() => parse({ repeats: 0 })).toThrow(/my-suite\.json: repeats: /);
    expect(() => parse({ unknownKey: 1 })).toThrow(/my-suite\.json: \(top level\): .*unknownKey/);
    expect(() => expandSuite(parse({ matrix: { seqLen: [16, -4] } }), 'my-suite.json')).toThrow(/my-suite\.json: job \{"seqLen":-4\}\.seqLen: /);
  });
});
