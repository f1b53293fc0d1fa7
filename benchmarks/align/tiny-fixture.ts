// A tiny but real GPT-2 setup for alignment runs and CLI tests, built offline: a seeded synthetic
// English-like corpus in WikiText-2 layout, a byte-level BPE tokenizer trained on it (256 byte
// tokens + learned merges + <|endoftext|>, written as vocab.json + merges.txt so the real tokenizer
// loader reads it), and a randomly initialised GPT-2 saved as a Hugging Face folder.
// Not a model of anything: pretrained weights cannot be downloaded on the project's machines.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Rng } from '../../device-agent/core/rng.js';
import { gpt2ConfigToHf, gpt2NameToHf, gpt2Parameters, initGpt2, type Gpt2Config } from '../../device-agent/models/gpt2.js';
import { saveWeights } from '../../device-agent/io/weights.js';
import { gpt2ByteToUnicode } from '../../device-agent/text/gpt2-tokenizer.js';

export const tinyGpt2Config: Gpt2Config = { vocabSize: 512, nPositions: 64, nEmbd: 64, nLayer: 2, nHead: 4, layerNormEpsilon: 1e-5 };

const WORDS = {
  det: ['the', 'a', 'every', 'no', 'this', 'that'],
  noun: ['phone', 'model', 'battery', 'kernel', 'river', 'city', 'teacher', 'engine', 'garden', 'signal', 'museum', 'storm'],
  verb: ['trains', 'measures', 'crosses', 'follows', 'builds', 'warms', 'finds', 'answers', 'carries', 'watches'],
  adj: ['small', 'quiet', 'bright', 'old', 'fast', 'careful', 'northern', 'hidden'],
  tail: ['in 1998', 'at night', 'for the first time', 'near the coast', 'with great care', 'after the war', 'during the season'],
};

/** Seeded sentences in WikiText-2's raw layout: " = Heading = " lines, paragraphs, blank lines. */
export function tinyCorpus(lines: number, seed: number): string {
  const rng = new Rng(seed);
  const pick = (a: string[]) => a[rng.int(a.length)];
  const sentence = () => {
    const s = `${pick(WORDS.det)} ${pick(WORDS.adj)} ${pick(WORDS.noun)} ${pick(WORDS.verb)} ${pick(WORDS.det)} ${pick(WORDS.noun)} ${pick(WORDS.tail)}`;
    return s[0].toUpperCase() + s.slice(1) + (rng.uniform() < 0.2 ? ' , and it was 3 @.@ 5 times larger' : '') + ' .';
  };
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    if (i % 12 === 0) out.push('', ` = ${pick(WORDS.adj)} ${pick(WORDS.noun)} = `, '');
    out.push(' ' + Array.from({ length: 2 + rng.int(3) }, sentence).join(' ') + ' ');
  }
  return out.join('\n') + '\n';
}

/** Train byte-level BPE merges on text (GPT-2 pre-split), return vocab.json and merges.txt contents. */
export function trainTinyBpe(text: string, vocabSize: number): { vocabJson: string; mergesTxt: string } {
  const alphabet = gpt2ByteToUnicode();
  const enc = new TextEncoder();
  const counts = new Map<string, number>();
  for (const m of text.matchAll(/'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu)) {
    const w = [...enc.encode(m[0])].map((b) => String.fromCodePoint(alphabet[b])).join(' ');
    counts.set(w, (counts.get(w) ?? 0) + 1);
  }
  let words = [...counts].map(([w, c]) => ({ syms: w.split(' '), c }));
  const vocab: string[] = alphabet.map((cp) => String.fromCodePoint(cp));
  const merges: string[] = [];
  while (vocab.length < vocabSize - 1) {
    const pairs = new Map<string, number>();
    for (const { syms, c } of words) for (let i = 0; i + 1 < syms.length; i++) pairs.set(`${syms[i]} ${syms[i + 1]}`, (pairs.get(`${syms[i]} ${syms[i + 1]}`) ?? 0) + c);
    let best = '';
    let bestCount = 1;
    for (const [p, c] of pairs) if (c > bestCount || (c === bestCount && best !== '' && p < best)) [best, bestCount] = [p, c];
    if (!best) break;
    const [a, b] = best.split(' ');
    merges.push(best);
    vocab.push(a + b);
    words = words.map(({ syms, c }) => {
      const out: string[] = [];
      for (let i = 0; i < syms.length; i++) {
        if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) out.push(a + b), i++;
        else out.push(syms[i]);
      }
      return { syms: out, c };
    });
  }
  vocab.push('<|endoftext|>');
  return { vocabJson: JSON.stringify(Object.fromEntries(vocab.map((t, i) => [t, i]))), mergesTxt: '#version: 0.2\n' + merges.join('\n') + '\n' };
}

/** Write model/ (config.json, model.safetensors, vocab.json, merges.txt) and data/ (wiki.*.raw) under dir. */
export function writeTinyGpt2Fixture(dir: string, seed = 1234, config: Gpt2Config = tinyGpt2Config): { modelDir: string; dataDir: string } {
  const modelDir = path.join(dir, 'model');
  const dataDir = path.join(dir, 'data');
  mkdirSync(modelDir, { recursive: true });
  mkdirSync(dataDir, { recursive: true });
  const trainText = tinyCorpus(400, seed);
  writeFileSync(path.join(dataDir, 'wiki.train.raw'), trainText);
  writeFileSync(path.join(dataDir, 'wiki.valid.raw'), tinyCorpus(60, seed + 1));
  writeFileSync(path.join(dataDir, 'wiki.test.raw'), tinyCorpus(60, seed + 2));
  const { vocabJson, mergesTxt } = trainTinyBpe(trainText, config.vocabSize);
  writeFileSync(path.join(modelDir, 'vocab.json'), vocabJson);
  writeFileSync(path.join(modelDir, 'merges.txt'), mergesTxt);
  const params = gpt2Parameters(config);
  initGpt2(params, config, seed);
  writeFileSync(path.join(modelDir, 'model.safetensors'), saveWeights(params, gpt2NameToHf));
  writeFileSync(path.join(modelDir, 'config.json'), JSON.stringify(gpt2ConfigToHf(config), null, 2));
  return { modelDir, dataDir };
}
