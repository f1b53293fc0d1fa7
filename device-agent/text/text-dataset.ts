// Training text as one token stream cut into fixed windows, with seeded shuffled batches. Loads a
// WikiText-2 raw folder (wiki.{train,valid,test}.raw), a plain text file or a JSONL file of
// {"text": ...} records. Not a streaming loader: the whole stream is tokenised once and kept in an
// Int32Array. Follows the C++ original's WikiText-2 pipeline (getline per line, one EOS after every
// line, stride-S windows of S+1 tokens, prefix data_fraction, reshuffle each epoch) but tokenises
// once instead of re-tokenising per sample, shuffles with our portable Rng, and drops the short last
// batch of an epoch (as the PyTorch baselines' DataLoader(drop_last=True) does).
import { Rng } from '../core/rng';

/** Anything with GPT-2-style `encode` and an EOS id (Gpt2Tokenizer fits). */
export interface TextTokenizer {
  encode(text: string): number[];
  readonly eosId: number;
}
/** A tokenizer object, or a bare encode function (its EOS id then comes from options, default GPT-2's). */
export type TokenizerLike = TextTokenizer | ((text: string) => number[]);
/** A file or folder path (a folder means WikiText-2, split "train"), or a WikiText-2 folder and split. */
export type TextSource = string | { dir: string; split: string };
/** "lines": one document per line (WikiText, .txt). "jsonl": one {"text": ...} record per line. */
export type TextFormat = 'lines' | 'jsonl';

export interface TextDatasetOptions {
  seqLen: number;
  /** Keep the first max(floor(N * f), seqLen + 1) tokens. Default 1. */
  dataFraction?: number;
  /** EOS id when the tokenizer is a bare function. Default 50256 (GPT-2). */
  eosId?: number;
}

export interface TokenStream {
  tokens: Int32Array;
  /** The file the tokens came from, for messages. */
  path: string;
}

const GPT2_EOS_ID = 50256;
const WIKITEXT_SPLITS: Record<string, string> = { train: 'train', valid: 'valid', validation: 'valid', val: 'valid', test: 'test' };

export class TextDataset {
  /** The token stream after dataFraction. */
  readonly tokens: Int32Array;
  readonly seqLen: number;
  /** Windows of seqLen + 1 tokens at stride seqLen: window i is tokens[i*S, i*S + S + 1). */
  readonly numWindows: number;
  readonly source: string;

  private constructor(tokens: Int32Array, seqLen: number, numWindows: number, source: string) {
    this.tokens = tokens;
    this.seqLen = seqLen;
    this.numWindows = numWindows;
    this.source = source;
  }

  /** Node only: tokenise a file or WikiText-2 split (see TextSource) and cut it into windows. */
  static async load(source: TextSource, tokenizer: TokenizerLike, options: TextDatasetOptions): Promise<TextDataset> {
    const stream = await loadTokenStream(source, tokenizer, options.eosId);
    return TextDataset.fromStream(stream.tokens, eosOf(tokenizer, options.eosId), options, stream.path);
  }

  /** Browser-friendly: tokenise text that is already in memory. */
  static fromText(text: string, tokenizer: TokenizerLike, options: TextDatasetOptions & { format?: TextFormat; source?: string }): TextDataset {
    const source = options.source ?? '<text>';
    const tokens = tokenizeText(text, tokenizer, options.format ?? 'lines', source, options.eosId);
    return TextDataset.fromStream(tokens, eosOf(tokenizer, options.eosId), options, source);
  }

  private static fromStream(tokens: Int32Array, eos: number, options: TextDatasetOptions, source: string): TextDataset {
    if (tokens.every((t) => t === eos)) {
      throw new Error(
        `TextDataset: ${source} is empty (its ${tokens.length} token${tokens.length === 1 ? ' is' : 's are'} all EOS); ` +
          `--seq_len ${options.seqLen} needs at least ${options.seqLen + 1} tokens of text; use more data`,
      );
    }
    return TextDataset.fromTokens(tokens, { ...options, source });
  }

  static fromTokens(tokens: ArrayLike<number>, options: TextDatasetOptions & { source?: string }): TextDataset {
    const { seqLen, dataFraction = 1 } = options;
    const source = options.source ?? '<tokens>';
    if (!Number.isInteger(seqLen) || seqLen < 1) throw new Error(`TextDataset: --seq_len must be a positive integer, got ${seqLen}`);
    if (!(dataFraction > 0 && dataFraction <= 1)) throw new Error(`TextDataset: --data_fraction must be in (0, 1], got ${dataFraction}`);
    const n = tokens.length;
    if (n < seqLen + 1) {
      throw new Error(
        `TextDataset: ${source} has ${n} token${n === 1 ? '' : 's'} but --seq_len ${seqLen} needs at least ${seqLen + 1} ` +
          `(one window is seq_len + 1 tokens); use a smaller --seq_len or more data`,
      );
    }
    const keep = Math.max(Math.floor(n * dataFraction), seqLen + 1);
    const kept = new Int32Array(keep);
    for (let i = 0; i < keep; i++) kept[i] = tokens[i];
    // i*S + S + 1 <= N  <=>  i <= (N - 1) / S - 1.
    return new TextDataset(kept, seqLen, Math.floor((keep - 1) / seqLen), source);
  }

  /** Window i as a view of seqLen + 1 tokens: inputs are [0, S), targets are [1, S]. */
  window(i: number): Int32Array {
    if (!Number.isInteger(i) || i < 0 || i >= this.numWindows) throw new Error(`TextDataset.window: index ${i} is outside [0, ${this.numWindows})`);
    const start = i * this.seqLen;
    return this.tokens.subarray(start, start + this.seqLen + 1);
  }

  /** Full batches per epoch; the short last batch is dropped. */
  batchesPerEpoch(batchSize: number): number {
    return Math.floor(this.numWindows / batchSize);
  }

  /** Optimizer steps per epoch with gradient accumulation over `accum` micro-batches. */
  stepsPerEpoch(batchSize: number, accum = 1): number {
    return Math.floor(this.batchesPerEpoch(batchSize) / accum);
  }

  /**
   * Batches of `batchSize` windows, each an Int32Array of shape (B, S+1), row-major. Every epoch
   * starts by reshuffling the window order with the same Rng stream (so epoch 2 differs from epoch 1
   * and a seed reproduces the whole run on every engine). The last partial batch of each epoch is
   * dropped: every batch has B rows, which keeps token counts and PyTorch (drop_last=True) alignment
   * simple. Runs `epochs` epochs (default: forever); `shuffle: false` keeps file order (evaluation).
   */
  *batches(batchSize: number, rng: Rng | number, options: { epochs?: number; shuffle?: boolean } = {}): Generator<Int32Array> {
    const { epochs = Infinity, shuffle = true } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`TextDataset: --batch_size must be a positive integer, got ${batchSize}`);
    if (batchSize > this.numWindows) {
      throw new Error(
        `TextDataset: ${this.source} has ${this.numWindows} windows of ${this.seqLen + 1} tokens, fewer than --batch_size ${batchSize}; ` +
          'use a smaller --batch_size or --seq_len, or more data',
      );
    }
    const random = typeof rng === 'number' ? new Rng(rng) : rng;
    const rowLen = this.seqLen + 1;
    const order = Int32Array.from({ length: this.numWindows }, (_, i) => i);
    const perEpoch = this.batchesPerEpoch(batchSize);
    for (let epoch = 0; epoch < epochs; epoch++) {
      if (shuffle) random.shuffle(order);
      for (let b = 0; b < perEpoch; b++) {
        const batch = new Int32Array(batchSize * rowLen); // (B, S+1)
        for (let r = 0; r < batchSize; r++) batch.set(this.window(order[b * batchSize + r]), r * rowLen);
        yield batch;
      }
    }
  }
}

/**
 * Node only: read and tokenise a source. A folder (or {dir, split}) is WikiText-2 raw; a `.jsonl`
 * file is JSONL; any other file is read line by line like WikiText.
 */
export async function loadTokenStream(source: TextSource, tokenizer: TokenizerLike, eosId?: number): Promise<TokenStream> {
  // Dynamic imports keep this module bundleable for browsers (which use TextDataset.fromText).
  const { readFile, stat } = await import('node:fs/promises');
  const { join } = await import('node:path');
  let path: string;
  let wikitext = false;
  if (typeof source === 'string') {
    const info = await stat(source).catch(() => undefined);
    if (info === undefined) {
      throw new Error(`TextDataset: ${source} does not exist; pass a WikiText-2 raw folder, a .txt file or a .jsonl file`);
    }
    wikitext = info.isDirectory();
    path = wikitext ? join(source, 'wiki.train.raw') : source;
  } else {
    const split = WIKITEXT_SPLITS[source.split];
    if (split === undefined) throw new Error(`TextDataset: unknown split "${source.split}"; use train, valid or test`);
    wikitext = true;
    path = join(source.dir, `wiki.${split}.raw`);
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    throw new Error(
      `TextDataset: expected the WikiText-2 file ${path}, which does not exist; point the data dir at the ` +
        'wikitext-2-raw folder (wiki.train.raw, wiki.valid.raw, wiki.test.raw)',
    );
  }
  const format: TextFormat = !wikitext && path.toLowerCase().endsWith('.jsonl') ? 'jsonl' : 'lines';
  return { tokens: tokenizeText(text, tokenizer, format, path, eosId), path };
}

/** Tokenise in-memory text with the line-wise EOS packing (see the file header). */
export function tokenizeText(text: string, tokenizer: TokenizerLike, format: TextFormat, source = '<text>', eosId?: number): Int32Array {
  const encode = typeof tokenizer === 'function' ? tokenizer : (s: string) => tokenizer.encode(s);
  const eos = eosOf(tokenizer, eosId);
  const out = new TokenBuffer();
  const lines = text.split('\n');
  // getline semantics: a trailing "\n" ends the last line instead of starting an empty one.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    if (format === 'lines') {
      out.push(encode(lines[i])); // an empty line encodes to nothing, so it becomes a lone EOS
    } else {
      const line = lines[i].replace(/\r$/, '');
      if (line.trim() === '') continue;
      out.push(encode(parseJsonlText(line, source, i + 1)));
    }
    out.push([eos]);
  }
  if (out.length === 0 || out.last() !== eos) out.push([eos]);
  return out.take();
}

function eosOf(tokenizer: TokenizerLike, eosId: number | undefined): number {
  return typeof tokenizer === 'function' ? (eosId ?? GPT2_EOS_ID) : tokenizer.eosId;
}

function parseJsonlText(line: string, source: string, lineNo: number): string {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch (e) {
    throw new Error(`TextDataset: ${source} line ${lineNo} is not valid JSON (${(e as Error).message}); each line must be one {"text": "..."} object`);
  }
  const text = (record as { text?: unknown } | null)?.text;
  if (typeof text !== 'string') {
    throw new Error(`TextDataset: ${source} line ${lineNo} has no string "text" field; each line must be one {"text": "..."} object`);
  }
  return text;
}

/** Growable Int32Array, so large corpora never sit in a number[] (8 bytes and more per token). */
class TokenBuffer {
  private data = new Int32Array(1 << 16);
  length = 0;

  push(ids: number[]): void {
    if (this.length + ids.length > this.data.length) {
      const grown = new Int32Array(Math.max(this.data.length * 2, this.length + ids.length));
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(ids, this.length);
    this.length += ids.length;
  }

  last(): number {
    return this.data[this.length - 1];
  }

  take(): Int32Array {
    return this.data.slice(0, this.length);
  }
}
