// Gpt2Tokenizer against the known-answer oracle: js-tiktoken's "gpt2" encoding (OpenAI's ranks,
// offline). The tokenizer is loaded from vocab.json + merges.txt rebuilt from those ranks, so the
// test also checks the loaders, and the rebuilt merges against the head and tail of GPT-2's real
// merges.txt. Covers contractions, whitespace runs, many scripts, emoji, code, a >100 KB document,
// long single pieces, decode round trips, tokenizer.json (both merge formats) and malformed files.
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tiktoken } from 'js-tiktoken/lite';
import gpt2 from 'js-tiktoken/ranks/gpt2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../device-agent/core/rng';
import { Gpt2Tokenizer } from '../../../device-agent/text/gpt2-tokenizer';
import { buildGpt2TokenizerFiles, writeGpt2TokenizerFiles } from './gpt2-vocab-from-tiktoken';

const CASES: Record<string, string> = {
  prose: 'The quick brown fox jumps over the lazy dog. It was 1999, and Mr. Smith (aged 42) said: "Hello, world!"',
  contractions: "I'm sure they'll say we've done it; she'd go, you're right, it's John's. DON'T SHOUT, I'LL LEAVE 'S 'T",
  whitespace: 'a  b   c\t\td\n\ne \n \n\n\n   f\r\ng\u00a0h\u3000i \t \n',
  leadingTrailing: '   leading and trailing   ',
  onlySpaces: '      ',
  onlyNewlines: '\n\n\n',
  empty: '',
  latin: 'Café naïve façade über Straße Ærøskøbing señor ĳssel',
  cyrillic: 'Привет, как дела? Съешь же ещё этих мягких французских булок.',
  cjk: '你好，世界！日本語のテキスト、カタカナ。한국어 텍스트입니다.',
  arabicHebrew: 'مرحبا بالعالم ٣٤٥ שלום עולם',
  indic: 'नमस्ते दुनिया ভাষা தமிழ்',
  emoji: 'I ❤️ 🍕! 👨‍👩‍👧‍👦 family, 🏳️‍🌈 flag, 🇯🇵🇺🇸 flags, 👍🏽 skin tone, 🤷‍♀️',
  digits: '3.14159 2024-01-01 1234567890123 ¹²³ ½ ①② Ⅻ 0x1F 1e-5',
  code: 'function f(x) {\n  return x => x ** 2; // square\n}\nconst a = [1, 2, 3].map((v) => v * 2);\n\tif (a != null && b >= 0) { print("ok\\n"); }',
  mixedSymbols: '<|endoftext|> <|im_start|> $$ ## @@ ... --- ___ ~~~ ``` ||| \\\\ ¯\\_(ツ)_/¯ ©®™',
  endoftextAlone: '<|endoftext|>',
  wikitext: ' = Valkyria Chronicles III = \n \n Senjō no Valkyria 3 : <unk> Chronicles ( Japanese : 戦場のヴァルキュリア3 , lit . Valkyria of the Battlefield 3 ) , 1 @,@ 000 @.@ 5 \n',
};

let dir: string;
let tokenizer: Gpt2Tokenizer;
const tiktoken = new Tiktoken(gpt2);
const reference = (text: string): number[] => tiktoken.encode(text, [], []);

/** ~130 KB of mixed text drawn with a fixed seed: words, scripts, emoji, numbers, punctuation, whitespace runs. */
function generatedDocument(seed: number, targetChars: number): string {
  const rng = new Rng(seed);
  const pieces = [
    ...Object.values(CASES),
    'the', ' of', 'and', 'tokenization', 'Ωmega', 'ﬁne', 'x̧', 'e\u0301', '🚀', '🧑🏿‍💻', '\t', '  ', '\n\n', ' \n', "'s", "'re", "’s",
    '...', '!?', '—', '«»', '\u200b', '\ufeff', '\u0085',
  ];
  let out = '';
  while (out.length < targetChars) {
    const kind = rng.int(4);
    if (kind === 0) out += pieces[rng.int(pieces.length)];
    else if (kind === 1) out += String(rng.int(1_000_000));
    else if (kind === 2) out += ' '.repeat(rng.int(4)) + String.fromCodePoint(0x20 + rng.int(0x2fff));
    else out += String.fromCodePoint([0x41, 0x61, 0x430, 0x4e00, 0x1f600][rng.int(5)] + rng.int(26));
  }
  return out;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gpt2-tokenizer-'));
  await writeGpt2TokenizerFiles(join(dir, 'gpt2'));
  tokenizer = await Gpt2Tokenizer.fromDir(join(dir, 'gpt2'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('rebuilt GPT-2 files', () => {
  it('match the head and tail of GPT-2 merges.txt and the encoder.json layout', () => {
    const { mergesTxt, vocabJson } = buildGpt2TokenizerFiles();
    const lines = mergesTxt.trimEnd().split('\n');
    expect(lines.length).toBe(50_001);
    expect(lines.slice(0, 12)).toEqual(['#version: 0.2', 'Ġ t', 'Ġ a', 'h e', 'i n', 'r e', 'o n', 'Ġt he', 'e r', 'Ġ s', 'a t', 'Ġ w']);
    expect(lines.slice(-7)).toEqual(['Com par', 'Ġampl ification', 'om inated', 'Ġreg ress', 'ĠColl ider', 'Ġinform ants', 'Ġg azed']);
    const vocab = JSON.parse(vocabJson);
    expect([vocab['!'], vocab['Ġ'], vocab['Ġthe'], vocab['Ġgazed'], vocab['<|endoftext|>']]).toEqual([0, 220, 262, 50255, 50256]);
  });
});

describe('Gpt2Tokenizer.encode equals tiktoken gpt2', () => {
  it('has GPT-2 sizes', () => {
    expect(tokenizer.vocabSize).toBe(50257);
    expect(tokenizer.eosId).toBe(50256);
    expect(tokenizer.tokenToId('Ġthe')).toBe(262);
    expect(tokenizer.idToToken(262)).toBe('Ġthe');
  });

  for (const [name, text] of Object.entries(CASES)) {
    it(`${name}`, () => {
      const ids = tokenizer.encode(text);
      expect(ids).toEqual(reference(text));
      expect(tokenizer.decode(ids)).toBe(text);
    });
  }

  it('known ids for "Hello, world" (HF: Hello | , | Ġworld)', () => {
    expect(tokenizer.encode('Hello, world')).toEqual([15496, 11, 995]);
  });

  it('encodes a literal <|endoftext|> as plain text, like js-tiktoken encode(text, [], [])', () => {
    const ids = tokenizer.encode('a<|endoftext|>b');
    expect(ids).not.toContain(50256);
    expect(ids).toEqual(reference('a<|endoftext|>b'));
  });

  it('a >100 KB generated document', () => {
    const doc = generatedDocument(1234, 130_000);
    expect(doc.length).toBeGreaterThan(100_000);
    const ids = tokenizer.encode(doc);
    expect(ids).toEqual(reference(doc));
    expect(tokenizer.decode(ids)).toBe(doc);
  });

  it('long single pieces (letters, digits, punctuation, whitespace)', () => {
    const rng = new Rng(7);
    const letters = Array.from({ length: 1200 }, () => 'acgtxyzAEIOUé'[rng.int(13)]).join('');
    for (const text of [letters, '7'.repeat(900), '=-'.repeat(500), ' '.repeat(1000) + 'x', 'a'.repeat(1001), '\n'.repeat(700)]) {
      expect(tokenizer.encode(text)).toEqual(reference(text));
    }
  });

  it('decodes partial UTF-8 to U+FFFD and rejects unknown ids', () => {
    const ids = tokenizer.encode('龘'); // 3 UTF-8 bytes, not one token
    expect(ids.length).toBeGreaterThan(1);
    const first = ids[0];
    expect(tokenizer.decode([first])).toContain('\ufffd');
    expect(() => tokenizer.decode([50257])).toThrow(/id 50257 is not in the vocabulary/);
  });
});

describe('loaders', () => {
  it('tokenizer.json with "a b" merges, with [a, b] merges, and via fromDir', async () => {
    const { tokenizerJson } = buildGpt2TokenizerFiles();
    const text = CASES.prose + CASES.emoji + CASES.code;
    const expected = reference(text);
    expect(Gpt2Tokenizer.fromTokenizerJson(tokenizerJson).encode(text)).toEqual(expected);
    const root = JSON.parse(tokenizerJson);
    root.model.merges = root.model.merges.map((m: string) => m.split(' '));
    expect(Gpt2Tokenizer.fromTokenizerJson(JSON.stringify(root)).encode(text)).toEqual(expected);
    await mkdir(join(dir, 'hf'));
    await writeFile(join(dir, 'hf', 'tokenizer.json'), tokenizerJson);
    const fromDir = await Gpt2Tokenizer.fromDir(join(dir, 'hf'));
    expect(fromDir.source).toBe(join(dir, 'hf', 'tokenizer.json'));
    expect(fromDir.encode(text)).toEqual(expected);
  });

  it('merges.txt without the #version line, with blank lines and CRLF', () => {
    const { vocabJson, mergesTxt } = buildGpt2TokenizerFiles();
    const variant = mergesTxt.split('\n').slice(1).join('\r\n\r\n');
    const t = Gpt2Tokenizer.fromVocabAndMerges(vocabJson, variant);
    expect(t.encode(CASES.contractions)).toEqual(reference(CASES.contractions));
  });
});

describe('malformed tokenizer files', () => {
  const tokenizerJson = (): any => JSON.parse(buildGpt2TokenizerFiles().tokenizerJson);

  it('names the source and the problem', () => {
    const wordPiece = tokenizerJson();
    wordPiece.model.type = 'WordPiece';
    expect(() => Gpt2Tokenizer.fromTokenizerJson(JSON.stringify(wordPiece), 'bert/tokenizer.json')).toThrow(
      /bert\/tokenizer\.json: model\.type is "WordPiece"; only "BPE".*Use the GPT-2 tokenizer files/,
    );
    const noVocab = tokenizerJson();
    delete noVocab.model.vocab;
    expect(() => Gpt2Tokenizer.fromTokenizerJson(JSON.stringify(noVocab), 'x/tokenizer.json')).toThrow(/x\/tokenizer\.json: model\.vocab is missing/);
    const noMerges = tokenizerJson();
    delete noMerges.model.merges;
    expect(() => Gpt2Tokenizer.fromTokenizerJson(JSON.stringify(noMerges))).toThrow(/model\.merges is missing/);
    const metaspace = tokenizerJson();
    metaspace.pre_tokenizer = { type: 'Metaspace' };
    expect(() => Gpt2Tokenizer.fromTokenizerJson(JSON.stringify(metaspace))).toThrow(/pre_tokenizer is "Metaspace"/);
    expect(() => Gpt2Tokenizer.fromTokenizerJson('{"model": ', 'y/tokenizer.json')).toThrow(/y\/tokenizer\.json: not valid JSON/);
    expect(() => Gpt2Tokenizer.fromTokenizerJson('[]')).toThrow(/no "model" object/);
  });

  it('rejects bad vocab.json / merges.txt', () => {
    const { vocabJson } = buildGpt2TokenizerFiles();
    expect(() => Gpt2Tokenizer.fromVocabAndMerges('{', 'Ġ t', 'v.json + m.txt')).toThrow(/v\.json \+ m\.txt: vocab\.json is not valid JSON/);
    expect(() => Gpt2Tokenizer.fromVocabAndMerges(vocabJson, '#version: 0.2\nĠ t\nĠqqzx h\n')).toThrow(/merge 1 \("Ġqqzx h"\) uses "Ġqqzx", which is not in the vocabulary/);
    expect(() => Gpt2Tokenizer.fromVocabAndMerges(vocabJson, 'a b c')).toThrow(/merges\.txt line 1 is "a b c"/);
    expect(() => Gpt2Tokenizer.fromVocabAndMerges('{"a": 0}', '')).toThrow(/not a byte-level BPE vocabulary/);
  });

  it('fromDir names the folder and the files it looked for', async () => {
    const empty = join(dir, 'empty');
    await mkdir(empty);
    await expect(Gpt2Tokenizer.fromDir(empty)).rejects.toThrow(
      new RegExp(`no tokenizer in ${empty.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: looked for tokenizer\\.json, or vocab\\.json \\+ merges\\.txt`),
    );
  });
});
