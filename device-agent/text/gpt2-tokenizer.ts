// GPT-2 byte-level BPE tokenizer, id-for-id equal to OpenAI's encoder.py, Hugging Face's GPT-2
// tokenizer and tiktoken's "gpt2" encoding (tested against js-tiktoken). Loads vocab.json +
// merges.txt or a Hugging Face tokenizer.json. Not a general tokenizer: no SentencePiece, no other
// pre-tokenizer regexes, no special-token splitting. Follows encoder.py: regex pre-split first, then
// the byte->unicode alphabet on each piece (the C++ original mapped bytes before the split, which
// glued spaces to punctuation), then merges by rank (lowest first, leftmost on ties), as HF's
// `Word::merge_all` does with a priority queue.

/** GPT-2's pre-tokenizer. JS `\s` differs from Python's on U+0085 and U+FEFF; js-tiktoken uses this same JS regex. */
const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
const EOS_TOKEN = '<|endoftext|>';
/** Pieces up to this many bytes use the simple rescanning merge loop. */
const SHORT_PIECE_BYTES = 32;
/** Heap entries pack (rank, position) as rank * POS_STRIDE + position. */
const POS_STRIDE = 2 ** 32;
const CACHE_MAX_ENTRIES = 100_000;
const CACHE_MAX_PIECE_CHARS = 256;

/** encoder.py's bytes_to_unicode: byte -> printable code point (printable bytes map to themselves). */
export function gpt2ByteToUnicode(): number[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const out = new Array<number>(256);
  for (const b of bs) out[b] = b;
  let n = 0;
  for (let b = 0; b < 256; b++) if (out[b] === undefined) out[b] = 256 + n++;
  return out;
}
const BYTE_TO_CODE = gpt2ByteToUnicode();
const CODE_TO_BYTE = new Map(BYTE_TO_CODE.map((code, byte) => [code, byte]));

function formatError(source: string, problem: string): Error {
  return new Error(
    `Gpt2Tokenizer: ${source}: ${problem}. Use the GPT-2 tokenizer files (vocab.json + merges.txt, ` +
      `or tokenizer.json) from the model's Hugging Face repository.`,
  );
}

export class Gpt2Tokenizer {
  /** Id of `<|endoftext|>` (50256 for GPT-2). */
  readonly eosId: number;
  /** Largest id + 1. */
  readonly vocabSize: number;
  readonly source: string;
  private readonly tokenToIdMap: Map<string, number>;
  private readonly idToTokenList: string[];
  /** (left id, right id) -> merge rank; mergedId[rank] is the id the pair becomes. */
  private readonly pairs: PairRanks;
  private readonly mergedId: Int32Array;
  private readonly byteToId = new Int32Array(256);
  private readonly idBytes: (Uint8Array | undefined)[] = [];
  private readonly cache = new Map<string, number[]>();
  private readonly utf8 = new TextEncoder();
  private readonly utf8Decoder = new TextDecoder('utf-8');

  private constructor(vocab: Map<string, number>, merges: [string, string][], source: string) {
    this.source = source;
    this.tokenToIdMap = vocab;
    this.idToTokenList = [];
    let maxId = -1;
    for (const [token, id] of vocab) {
      this.idToTokenList[id] = token;
      if (id > maxId) maxId = id;
    }
    this.vocabSize = maxId + 1;
    for (let b = 0; b < 256; b++) {
      const symbol = String.fromCodePoint(BYTE_TO_CODE[b]);
      const id = vocab.get(symbol);
      if (id === undefined) {
        throw formatError(source, `not a byte-level BPE vocabulary: the byte symbol ${JSON.stringify(symbol)} (byte ${b}) is missing`);
      }
      this.byteToId[b] = id;
    }
    const eos = vocab.get(EOS_TOKEN);
    if (eos === undefined) throw formatError(source, `the vocabulary has no ${EOS_TOKEN} token`);
    this.eosId = eos;
    this.pairs = new PairRanks(merges.length);
    this.mergedId = new Int32Array(merges.length);
    merges.forEach(([a, b], rank) => {
      const ia = vocab.get(a);
      const ib = vocab.get(b);
      const iab = vocab.get(a + b);
      if (ia === undefined || ib === undefined || iab === undefined) {
        const missing = ia === undefined ? a : ib === undefined ? b : a + b;
        throw formatError(source, `merge ${rank} ("${a} ${b}") uses ${JSON.stringify(missing)}, which is not in the vocabulary`);
      }
      this.pairs.setIfAbsent(ia, ib, rank);
      this.mergedId[rank] = iab;
    });
  }

  /** From the text of vocab.json and merges.txt (a leading `#version` line and blank lines are skipped). */
  static fromVocabAndMerges(vocabJson: string, mergesTxt: string, source = 'vocab.json + merges.txt'): Gpt2Tokenizer {
    let parsed: unknown;
    try {
      parsed = JSON.parse(vocabJson);
    } catch (e) {
      throw formatError(source, `vocab.json is not valid JSON (${(e as Error).message})`);
    }
    const vocab = parseVocab(parsed, source, 'vocab.json');
    const merges: [string, string][] = [];
    const lines = mergesTxt.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].replace(/\r$/, '');
      if (line === '' || (i === 0 && line.startsWith('#version'))) continue;
      const parts = line.split(' ');
      if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
        throw formatError(source, `merges.txt line ${i + 1} is ${JSON.stringify(line)}, expected two tokens separated by one space`);
      }
      merges.push([parts[0], parts[1]]);
    }
    return new Gpt2Tokenizer(vocab, merges, source);
  }

  /** From the text of a Hugging Face tokenizer.json (model.type "BPE"; merges as "a b" strings or [a, b] pairs). */
  static fromTokenizerJson(json: string, source = 'tokenizer.json'): Gpt2Tokenizer {
    let root: any;
    try {
      root = JSON.parse(json);
    } catch (e) {
      throw formatError(source, `not valid JSON (${(e as Error).message})`);
    }
    const model = root?.model;
    if (typeof model !== 'object' || model === null) throw formatError(source, 'no "model" object, so this is not a tokenizer.json');
    if (model.type !== undefined && model.type !== 'BPE') {
      throw formatError(source, `model.type is ${JSON.stringify(model.type)}; only "BPE" (GPT-2 byte-level BPE) is supported`);
    }
    if (model.continuing_subword_prefix || model.end_of_word_suffix || model.dropout) {
      throw formatError(source, 'BPE options continuing_subword_prefix / end_of_word_suffix / dropout are set; GPT-2 uses none of them');
    }
    const pre = root.pre_tokenizer;
    if (pre?.type !== 'ByteLevel' || pre.add_prefix_space === true || pre.use_regex === false) {
      throw formatError(source, `pre_tokenizer is ${JSON.stringify(pre?.type ?? null)} ${pre?.add_prefix_space ? 'with add_prefix_space ' : ''}` +
        'but only GPT-2\'s ByteLevel pre-tokenizer (no prefix space, default regex) is implemented');
    }
    const vocab = parseVocab(model.vocab, source, 'model.vocab');
    if (!Array.isArray(model.merges)) throw formatError(source, 'model.merges is missing or not an array');
    const merges = model.merges.map((m: unknown, i: number): [string, string] => {
      const pair = typeof m === 'string' ? m.split(' ') : m;
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
        throw formatError(source, `model.merges[${i}] is ${JSON.stringify(m)}, expected "a b" or ["a", "b"]`);
      }
      return [pair[0], pair[1]];
    });
    for (const added of Array.isArray(root.added_tokens) ? root.added_tokens : []) {
      if (typeof added?.content === 'string' && Number.isInteger(added.id) && !vocab.has(added.content)) vocab.set(added.content, added.id);
    }
    return new Gpt2Tokenizer(vocab, merges, source);
  }

  /** Node only: `dir/tokenizer.json` if present, else `dir/vocab.json` + `dir/merges.txt`. */
  static async fromDir(dir: string): Promise<Gpt2Tokenizer> {
    // Dynamic imports keep this module bundleable for browsers, which never call fromDir.
    const { readFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const read = async (p: string): Promise<string | undefined> => {
      try {
        return await readFile(p, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
    };
    const tokenizerJsonPath = join(dir, 'tokenizer.json');
    const tokenizerJson = await read(tokenizerJsonPath);
    if (tokenizerJson !== undefined) return Gpt2Tokenizer.fromTokenizerJson(tokenizerJson, tokenizerJsonPath);
    const vocabPath = join(dir, 'vocab.json');
    const mergesPath = join(dir, 'merges.txt');
    const [vocabJson, mergesTxt] = await Promise.all([read(vocabPath), read(mergesPath)]);
    if (vocabJson === undefined || mergesTxt === undefined) {
      throw new Error(
        `Gpt2Tokenizer: no tokenizer in ${dir}: looked for tokenizer.json, or vocab.json + merges.txt` +
          ` (${vocabJson === undefined ? 'vocab.json' : 'merges.txt'} is missing). Copy the files from the GPT-2 model repository into that folder.`,
      );
    }
    return Gpt2Tokenizer.fromVocabAndMerges(vocabJson, mergesTxt, `${vocabPath} + ${mergesPath}`);
  }

  /**
   * Text -> ids. A literal `<|endoftext|>` in the text is encoded as ordinary text (`<|`, `endoftext`,
   * `|>`), like js-tiktoken's `encode(text, [], [])`: training data cannot forge document boundaries;
   * the dataset inserts EOS ids itself. (HF's tokenizers would map it to 50256.)
   */
  encode(text: string): number[] {
    const out: number[] = [];
    for (const match of text.matchAll(GPT2_SPLIT)) {
      const piece = match[0];
      let ids = this.cache.get(piece);
      if (ids === undefined) {
        ids = this.bpe(this.utf8.encode(piece));
        if (piece.length <= CACHE_MAX_PIECE_CHARS) {
          if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.clear();
          this.cache.set(piece, ids);
        }
      }
      for (let i = 0; i < ids.length; i++) out.push(ids[i]);
    }
    return out;
  }

  /** Ids -> text; byte sequences that are not valid UTF-8 become U+FFFD (like HF's errors="replace"). */
  decode(ids: number[]): string {
    const parts: Uint8Array[] = [];
    let length = 0;
    for (const id of ids) {
      const bytes = this.bytesOf(id);
      parts.push(bytes);
      length += bytes.length;
    }
    const all = new Uint8Array(length);
    let offset = 0;
    for (const p of parts) {
      all.set(p, offset);
      offset += p.length;
    }
    return this.utf8Decoder.decode(all);
  }

  tokenToId(token: string): number | undefined {
    return this.tokenToIdMap.get(token);
  }

  /** The vocabulary string of an id (in the byte alphabet, e.g. "Ġthe"). */
  idToToken(id: number): string | undefined {
    return this.idToTokenList[id];
  }

  private bytesOf(id: number): Uint8Array {
    let bytes = this.idBytes[id];
    if (bytes !== undefined) return bytes;
    const token = this.idToTokenList[id];
    if (token === undefined) {
      throw new Error(`Gpt2Tokenizer.decode: id ${id} is not in the vocabulary of ${this.source} (${this.vocabSize} ids); check that the ids come from this tokenizer`);
    }
    const codes = Array.from(token, (ch) => CODE_TO_BYTE.get(ch.codePointAt(0)!));
    // Added tokens outside the byte alphabet decode to their own text, as in HF.
    bytes = codes.every((b) => b !== undefined) ? Uint8Array.from(codes as number[]) : this.utf8.encode(token);
    this.idBytes[id] = bytes;
    return bytes;
  }

  /**
   * BPE on one pre-tokenized piece: repeatedly merge the adjacent pair with the lowest rank (leftmost
   * on ties). Short pieces (almost all) rescan a small array; long ones keep symbols in a linked list
   * and candidate pairs in a binary min-heap keyed by (rank, position) with lazy deletion, so a long
   * piece costs O(n log n), not O(n^2).
   */
  private bpe(bytes: Uint8Array): number[] {
    const n = bytes.length;
    const pairs = this.pairs;
    if (n <= SHORT_PIECE_BYTES) {
      const ids = new Array<number>(n);
      for (let i = 0; i < n; i++) ids[i] = this.byteToId[bytes[i]];
      for (;;) {
        let best = -1;
        let bestRank = 0x7fffffff;
        for (let i = 0; i + 1 < ids.length; i++) {
          const r = pairs.get(ids[i], ids[i + 1]);
          if (r >= 0 && r < bestRank) {
            bestRank = r;
            best = i;
          }
        }
        if (best < 0) return ids;
        ids[best] = this.mergedId[bestRank];
        ids.splice(best + 1, 1);
      }
    }
    const id = new Int32Array(n);
    for (let i = 0; i < n; i++) id[i] = this.byteToId[bytes[i]];
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    const alive = new Uint8Array(n).fill(1);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const heap: number[] = [];
    const rankAt = (p: number): number => (next[p] < 0 ? -1 : pairs.get(id[p], id[next[p]]));
    const push = (p: number): void => {
      const r = rankAt(p);
      if (r >= 0) heapPush(heap, r * POS_STRIDE + p);
    };
    for (let i = 0; i < n - 1; i++) push(i);
    while (heap.length > 0) {
      const top = heapPop(heap);
      const rank = Math.floor(top / POS_STRIDE);
      const p = top - rank * POS_STRIDE;
      // Stale entry: the symbol was merged away or its right neighbour changed.
      if (!alive[p] || rankAt(p) !== rank) continue;
      const q = next[p];
      id[p] = this.mergedId[rank];
      alive[q] = 0;
      next[p] = next[q];
      if (next[q] >= 0) prev[next[q]] = p;
      if (prev[p] >= 0) push(prev[p]);
      push(p);
    }
    const out: number[] = [];
    for (let p = 0; p >= 0; p = next[p]) out.push(id[p]);
    return out;
  }
}

/**
 * Open-addressing hash map (a, b) -> merge rank over Int32Arrays. A Map keyed by a * V + b would
 * box every key above 2^30 as a heap number, which made BPE several times slower.
 */
class PairRanks {
  private readonly left: Int32Array;
  private readonly right: Int32Array;
  private readonly rank: Int32Array;
  private readonly mask: number;

  constructor(expected: number) {
    let capacity = 1024;
    while (capacity < expected * 2) capacity *= 2;
    this.left = new Int32Array(capacity).fill(-1);
    this.right = new Int32Array(capacity);
    this.rank = new Int32Array(capacity);
    this.mask = capacity - 1;
  }

  private slot(a: number, b: number): number {
    let h = Math.imul(a, 0x9e3779b1) + b;
    h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
    return (h ^ (h >>> 13)) & this.mask;
  }

  /** Keeps the first rank of a repeated pair, like HF. */
  setIfAbsent(a: number, b: number, rank: number): void {
    let i = this.slot(a, b);
    while (this.left[i] !== -1) {
      if (this.left[i] === a && this.right[i] === b) return;
      i = (i + 1) & this.mask;
    }
    this.left[i] = a;
    this.right[i] = b;
    this.rank[i] = rank;
  }

  /** Merge rank of (a, b), or -1. */
  get(a: number, b: number): number {
    let i = this.slot(a, b);
    for (;;) {
      const l = this.left[i];
      if (l === -1) return -1;
      if (l === a && this.right[i] === b) return this.rank[i];
      i = (i + 1) & this.mask;
    }
  }
}

function parseVocab(value: unknown, source: string, what: string): Map<string, number> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw formatError(source, `${what} is missing or not an object of token -> id`);
  }
  const vocab = new Map<string, number>();
  for (const [token, id] of Object.entries(value)) {
    if (!Number.isInteger(id) || (id as number) < 0) throw formatError(source, `${what}[${JSON.stringify(token)}] is ${JSON.stringify(id)}, expected a non-negative integer id`);
    vocab.set(token, id as number);
  }
  if (vocab.size === 0) throw formatError(source, `${what} is empty`);
  return vocab;
}

function heapPush(heap: number[], v: number): void {
  let i = heap.length;
  heap.push(v);
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (heap[parent] <= v) break;
    heap[i] = heap[parent];
    i = parent;
  }
  heap[i] = v;
}

function heapPop(heap: number[]): number {
  const top = heap[0];
  const last = heap.pop()!;
  const n = heap.length;
  if (n > 0) {
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && heap[c + 1] < heap[c]) c++;
      if (heap[c] >= last) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = last;
  }
  return top;
}
