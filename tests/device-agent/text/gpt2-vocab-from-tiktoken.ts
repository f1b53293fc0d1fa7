// Test helper: rebuilds GPT-2's vocab.json and merges.txt (and a tokenizer.json) from js-tiktoken's
// offline "gpt2" ranks, so tests get the real 50257-token tokenizer without downloading anything.
// Not shipped; the ~1 MB files are generated into temp dirs, never committed. The merge for the
// token of rank r is recovered as in minbpe's `recover_merges`: run BPE on the token's bytes using
// only ranks < r, which leaves exactly two parts (checked). Ranks 0-255 are the single bytes in
// GPT-2's byte-alphabet order and rank 256 + k is merge k, so ids equal GPT-2's encoder.json.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import gpt2 from 'js-tiktoken/ranks/gpt2';

export interface Gpt2TokenizerFiles {
  vocabJson: string;
  mergesTxt: string;
  /** Hugging Face tokenizer.json with the same vocab and merges ("a b" strings, the classic format). */
  tokenizerJson: string;
  /** The merges as pairs, rank order. */
  merges: [string, string][];
}

function byteAlphabet(): string[] {
  const printable = new Set<number>();
  for (let b = 33; b <= 126; b++) printable.add(b);
  for (let b = 161; b <= 172; b++) printable.add(b);
  for (let b = 174; b <= 255; b++) printable.add(b);
  const out: string[] = [];
  let n = 0;
  for (let b = 0; b < 256; b++) out[b] = String.fromCodePoint(printable.has(b) ? b : 256 + n++);
  return out;
}

/** BPE over `bytes` (latin1 string) with tiktoken's rank rule, using only ranks < maxRank. */
function bpeBelow(bytes: string, ranks: Map<string, number>, maxRank: number): string[] {
  let parts = Array.from(bytes);
  for (;;) {
    let best = -1;
    let bestRank = Infinity;
    for (let i = 0; i + 1 < parts.length; i++) {
      const r = ranks.get(parts[i] + parts[i + 1]);
      if (r !== undefined && r < bestRank) {
        bestRank = r;
        best = i;
      }
    }
    if (best < 0 || bestRank >= maxRank) return parts;
    parts = [...parts.slice(0, best), parts[best] + parts[best + 1], ...parts.slice(best + 2)];
  }
}

let memo: Gpt2TokenizerFiles | undefined;

export function buildGpt2TokenizerFiles(): Gpt2TokenizerFiles {
  if (memo) return memo;
  // js-tiktoken's compressed format: lines of "<prefix> <first rank> <base64 token> ...".
  const byRank: string[] = [];
  for (const line of gpt2.bpe_ranks.split('\n')) {
    if (!line) continue;
    const [, offset, ...tokens] = line.split(' ');
    tokens.forEach((t, i) => (byRank[Number(offset) + i] = Buffer.from(t, 'base64').toString('latin1')));
  }
  const ranks = new Map(byRank.map((bytes, rank) => [bytes, rank]));
  const alphabet = byteAlphabet();
  const toUnicode = (bytes: string): string => Array.from(bytes, (c) => alphabet[c.charCodeAt(0)]).join('');
  const vocab: Record<string, number> = {};
  const merges: [string, string][] = [];
  byRank.forEach((bytes, rank) => {
    vocab[toUnicode(bytes)] = rank;
    if (rank < 256) {
      if (bytes.length !== 1) {
        throw new Error(`gpt2 ranks: rank ${rank} is not a single byte; js-tiktoken's rank format changed`);
      }
      return;
    }
    const parts = bpeBelow(bytes, ranks, rank);
    if (parts.length !== 2) throw new Error(`gpt2 ranks: token of rank ${rank} does not split into one merge (${parts.length} parts)`);
    if (rank !== 256 + merges.length) throw new Error(`gpt2 ranks: rank ${rank} out of order`);
    merges.push([toUnicode(parts[0]), toUnicode(parts[1])]);
  });
  for (const [token, id] of Object.entries(gpt2.special_tokens)) vocab[token] = id;
  const vocabJson = JSON.stringify(vocab);
  const mergesTxt = '#version: 0.2\n' + merges.map(([a, b]) => `${a} ${b}`).join('\n') + '\n';
  const tokenizerJson = JSON.stringify({
    version: '1.0',
    added_tokens: [{ id: 50256, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '',
      fuse_unk: false, byte_fallback: false, vocab, merges: merges.map(([a, b]) => `${a} ${b}`),
    },
  });
  memo = { vocabJson, mergesTxt, tokenizerJson, merges };
  return memo;
}

/** Writes GPT-2's vocab.json and merges.txt into dir (created if needed). */
export async function writeGpt2TokenizerFiles(dir: string): Promise<void> {
  const files = buildGpt2TokenizerFiles();
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'vocab.json'), files.vocabJson);
  await writeFile(join(dir, 'merges.txt'), files.mergesTxt);
}
