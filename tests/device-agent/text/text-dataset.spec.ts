// TextDataset: the C++ original's WikiText packing (one EOS per line, empty lines included, final
// EOS), stride-S windows of S+1 tokens, data_fraction, seeded per-epoch shuffles with the short last
// batch dropped, JSONL and .txt sources, and the error messages. A toy tokenizer (one id per
// non-space character, EOS 0) keeps expected streams readable; one test uses the real GPT-2
// tokenizer against js-tiktoken.
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tiktoken } from 'js-tiktoken/lite';
import gpt2 from 'js-tiktoken/ranks/gpt2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../device-agent/core/rng';
import { Gpt2Tokenizer } from '../../../device-agent/text/gpt2-tokenizer';
import { TextDataset, loadTokenStream, tokenizeText } from '../../../device-agent/text/text-dataset';
import { writeGpt2TokenizerFiles } from './gpt2-vocab-from-tiktoken';

/** Toy tokenizer: every non-space character becomes its code point; EOS is 0. */
const toy = { eosId: 0, encode: (s: string): number[] => Array.from(s.replace(/ /g, ''), (c) => c.codePointAt(0)!) };
const ids = (s: string): number[] => toy.encode(s);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

let dir: string;
let wiki: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'text-dataset-'));
  wiki = join(dir, 'wikitext-2-raw');
  await mkdir(wiki);
  await writeFile(join(wiki, 'wiki.train.raw'), ' = A = \n\n b c \n\nd\n');
  await writeFile(join(wiki, 'wiki.valid.raw'), 'xy\nz'); // no trailing newline
  await writeFile(join(wiki, 'wiki.test.raw'), '');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('token stream', () => {
  it('WikiText: each line encoded separately, one EOS per line (empty lines -> lone EOS), getline semantics', async () => {
    const { tokens, path } = await loadTokenStream({ dir: wiki, split: 'train' }, toy);
    expect(path).toBe(join(wiki, 'wiki.train.raw'));
    expect(Array.from(tokens)).toEqual([...ids('=A='), 0, 0, ...ids('bc'), 0, 0, ...ids('d'), 0]);
    // A folder path means the train split.
    expect(Array.from((await loadTokenStream(wiki, toy)).tokens)).toEqual(Array.from(tokens));
  });

  it('the last line without "\\n" still gets its EOS; an empty file is a lone final EOS', async () => {
    expect(Array.from((await loadTokenStream({ dir: wiki, split: 'validation' }, toy)).tokens)).toEqual([...ids('xy'), 0, ...ids('z'), 0]);
    expect(Array.from((await loadTokenStream({ dir: wiki, split: 'test' }, toy)).tokens)).toEqual([0]);
  });

  it('tokenises every line exactly once', () => {
    let calls = 0;
    const counting = { eosId: 0, encode: (s: string) => (calls++, toy.encode(s)) };
    tokenizeText('a\nb\n\nc\n', counting, 'lines');
    expect(calls).toBe(4);
  });

  it('.txt is line-wise; a bare encode function uses options.eosId', async () => {
    const txt = join(dir, 'notes.txt');
    await writeFile(txt, 'ab\r\ncd\n');
    const { tokens } = await loadTokenStream(txt, toy.encode, 99);
    expect(Array.from(tokens)).toEqual([...ids('ab\r'), 99, ...ids('cd'), 99]);
  });

  it('JSONL: one document per record (newlines kept inside), blank lines skipped', async () => {
    const jsonl = join(dir, 'docs.jsonl');
    await writeFile(jsonl, '{"text": "ab"}\n\n{"text": "c\\nd", "id": 3}\r\n{"text": ""}\n');
    const { tokens } = await loadTokenStream(jsonl, toy);
    expect(Array.from(tokens)).toEqual([...ids('ab'), 0, ...ids('c\nd'), 0, 0]);
  });

  it('real GPT-2: equals per-line tiktoken ids with 50256 after each line', async () => {
    await writeGpt2TokenizerFiles(join(dir, 'gpt2'));
    const tokenizer = await Gpt2Tokenizer.fromDir(join(dir, 'gpt2'));
    const text = ' = Valkyria Chronicles III = \n \n Senjō no Valkyria 3 : <unk> Chronicles ( Japanese : 戦場のヴァルキュリア3 ) \n\n';
    const tiktoken = new Tiktoken(gpt2);
    const expected = text.split('\n').slice(0, -1).flatMap((line) => [...tiktoken.encode(line, [], []), 50256]);
    expect(Array.from(tokenizeText(text, tokenizer, 'lines'))).toEqual(expected);
  });
});

describe('windows', () => {
  it('stride S, S+1 tokens each, only where i*S + S + 1 <= N', () => {
    for (const [n, windows] of [[14, 3], [13, 3], [12, 2], [5, 1]]) {
      expect(TextDataset.fromTokens(range(n), { seqLen: 4 }).numWindows).toBe(windows);
    }
    const ds = TextDataset.fromTokens(range(14), { seqLen: 4 });
    expect(Array.from(ds.window(0))).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(ds.window(2))).toEqual([8, 9, 10, 11, 12]);
    // Inputs are the first S tokens, targets the last S: the same stream shifted by one.
    const w = ds.window(1);
    expect(Array.from(w.subarray(0, 4))).toEqual([4, 5, 6, 7]);
    expect(Array.from(w.subarray(1, 5))).toEqual([5, 6, 7, 8]);
    expect(() => ds.window(3)).toThrow(/outside \[0, 3\)/);
  });

  it('dataFraction keeps a prefix of max(floor(N*f), S+1) tokens', () => {
    const half = TextDataset.fromTokens(range(100), { seqLen: 4, dataFraction: 0.5 });
    expect(half.tokens.length).toBe(50);
    expect(half.numWindows).toBe(12);
    expect(Array.from(half.tokens)).toEqual(range(50));
    expect(TextDataset.fromTokens(range(100), { seqLen: 4, dataFraction: 0.01 }).tokens.length).toBe(5);
    expect(() => TextDataset.fromTokens(range(100), { seqLen: 4, dataFraction: 0 })).toThrow(/--data_fraction must be in \(0, 1\], got 0/);
  });
});

describe('batches', () => {
  const ds = TextDataset.fromTokens(range(41), { seqLen: 4 }); // 10 windows
  const take = (it: Iterator<Int32Array>, n: number): number[][] => range(n).map(() => Array.from(it.next().value as Int32Array));
  const rowsOf = (batch: number[]): number[] => range(batch.length / 5).map((r) => batch[r * 5] / 4); // window index per row

  it('(B, S+1) row-major windows; the short last batch of an epoch is dropped', () => {
    expect(ds.batchesPerEpoch(3)).toBe(3);
    expect(ds.stepsPerEpoch(3)).toBe(3);
    expect(ds.stepsPerEpoch(3, 2)).toBe(1);
    const epoch = [...ds.batches(3, 1, { epochs: 1 })];
    expect(epoch.length).toBe(3);
    const rows = epoch.flatMap((b) => {
      expect(b.length).toBe(3 * 5);
      for (let r = 0; r < 3; r++) expect(Array.from(b.subarray(r * 5, r * 5 + 5))).toEqual(Array.from(ds.window(b[r * 5] / 4)));
      return rowsOf(Array.from(b));
    });
    expect(new Set(rows).size).toBe(9);
  });

  it('shuffles each epoch with one continuing Rng stream: same seed same order, other seed other order', () => {
    const a = take(ds.batches(2, 42), 15); // 3 epochs of 5 batches
    expect(take(ds.batches(2, new Rng(42)), 15)).toEqual(a);
    expect(take(ds.batches(2, 43), 15)).not.toEqual(a);
    // Reference: shuffle the window order in place at every epoch start with the same Rng.
    const rng = new Rng(42);
    const order = Int32Array.from(range(10));
    const expected: number[] = [];
    for (let epoch = 0; epoch < 3; epoch++) {
      rng.shuffle(order);
      expected.push(...order);
    }
    expect(a.flatMap(rowsOf)).toEqual(expected);
    expect(expected.slice(0, 10)).not.toEqual(expected.slice(10, 20));
  });

  it('shuffle: false keeps file order', () => {
    expect([...ds.batches(5, 0, { epochs: 1, shuffle: false })].flatMap((b) => rowsOf(Array.from(b)))).toEqual(range(10));
  });

  it('rejects a batch size larger than the number of windows', () => {
    expect(() => ds.batches(11, 1).next()).toThrow(/10 windows of 5 tokens, fewer than --batch_size 11; use a smaller --batch_size/);
  });
});

describe('errors', () => {
  it('too few tokens names the file, the count and the seq_len needed', async () => {
    const p = join(wiki, 'wiki.train.raw');
    await expect(TextDataset.load({ dir: wiki, split: 'train' }, toy, { seqLen: 64 })).rejects.toThrow(
      `TextDataset: ${p} has 11 tokens but --seq_len 64 needs at least 65 (one window is seq_len + 1 tokens); use a smaller --seq_len or more data`,
    );
    const ds = await TextDataset.load({ dir: wiki, split: 'train' }, toy, { seqLen: 3 });
    expect(ds.source).toBe(p);
    expect(ds.numWindows).toBe(3);
  });

  it('an empty file says it is empty', async () => {
    await expect(TextDataset.load({ dir: wiki, split: 'test' }, toy, { seqLen: 4 })).rejects.toThrow(
      /wiki\.test\.raw is empty \(its 1 token is all EOS\); --seq_len 4 needs at least 5 tokens of text; use more data/,
    );
    expect(() => TextDataset.fromText('\n\n', toy, { seqLen: 1, source: 'blank.txt' })).toThrow(/blank\.txt is empty/);
  });

  it('a missing WikiText split names the expected path; unknown split and path', async () => {
    const empty = join(dir, 'no-wiki');
    await mkdir(empty);
    await expect(loadTokenStream({ dir: empty, split: 'valid' }, toy)).rejects.toThrow(`expected the WikiText-2 file ${join(empty, 'wiki.valid.raw')}`);
    await expect(loadTokenStream(empty, toy)).rejects.toThrow(join(empty, 'wiki.train.raw'));
    await expect(loadTokenStream({ dir: wiki, split: 'dev' }, toy)).rejects.toThrow(/unknown split "dev"; use train, valid or test/);
    await expect(loadTokenStream(join(dir, 'nope.txt'), toy)).rejects.toThrow(/nope\.txt does not exist; pass a WikiText-2 raw folder/);
  });

  it('bad JSONL lines name the file and the line number', async () => {
    const bad = join(dir, 'bad.jsonl');
    await writeFile(bad, '{"text": "ok"}\n{"text": oops}\n');
    await expect(loadTokenStream(bad, toy)).rejects.toThrow(`TextDataset: ${bad} line 2 is not valid JSON`);
    const noText = join(dir, 'no-text.jsonl');
    await writeFile(noText, '{"text": "ok"}\n\n{"body": "x"}\n');
    await expect(loadTokenStream(noText, toy)).rejects.toThrow(`TextDataset: ${noText} line 3 has no string "text" field`);
    expect(() => tokenizeText('{"text": 5}', toy, 'jsonl', 'mem.jsonl')).toThrow(/mem\.jsonl line 1 has no string "text"/);
  });
});
