// Where a JSON path is in a JSON text: a small scanner that records the line of every key and array
// element while walking the text, so a validation error ("base.lr: too small") can point at the
// line the person has to fix. Pure; not a JSON parser for values (JSON.parse does that) and not a
// validator. A path that is not in the text resolves to its nearest existing parent.

export type JsonPath = readonly (string | number)[];

/** Line (1-based) of each path present in the text, keyed by pathKey(path). Invalid JSON: what was read. */
export function jsonLineIndex(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  let i = 0;
  let line = 1;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) {
      if (text[i] === '\n') line++;
      i++;
    }
  };
  const string = () => {
    const start = i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (path: (string | number)[]): void => {
    ws();
    if (!lines.has(pathKey(path))) lines.set(pathKey(path), line);
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      while (i < text.length && text[i] !== '}') {
        ws();
        const keyLine = line;
        const key = string();
        lines.set(pathKey([...path, key]), keyLine);
        ws();
        i++; // ':'
        value([...path, key]);
        ws();
        if (text[i] === ',') i++;
        ws();
      }
      i++;
    } else if (c === '[') {
      i++;
      ws();
      for (let k = 0; i < text.length && text[i] !== ']'; k++) {
        value([...path, k]);
        ws();
        if (text[i] === ',') i++;
        ws();
      }
      i++;
    } else if (c === '"') {
      string();
    } else {
      while (i < text.length && !/[\s,\]}]/.test(text[i])) i++;
    }
  };
  try {
    value([]);
  } catch {
    // malformed text: keep the lines found so far
  }
  return lines;
}

export function pathKey(path: JsonPath): string {
  return JSON.stringify(path);
}

/** The line of `path`, or of its nearest parent that is in the text; null for an empty index. */
export function lineOf(index: Map<string, number>, path: JsonPath): number | null {
  for (let n = path.length; n >= 0; n--) {
    const l = index.get(pathKey(path.slice(0, n)));
    if (l !== undefined) return l;
  }
  return null;
}

/** "base.lr", "matrix.mode[1]", "(top level)". */
export function pathText(path: JsonPath): string {
  const s = path.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${k}` : k), '');
  return s || '(top level)';
}
