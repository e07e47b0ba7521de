// A small protobuf text-format reader for the tests: enough of the grammar for Triton's
// config.pbtxt (scalars, enums, strings, lists, messages, repeated messages), so that tests check
// the structure Triton would parse rather than substrings.
export type PbValue = string | number | PbValue[] | { [key: string]: PbValue };

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const re = /\s+|#[^\n]*|"((?:[^"\\]|\\.)*)"|([{}[\]:,])|([^\s{}[\]:,"#]+)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < text.length && (m = re.exec(text))) {
    if (m[1] !== undefined) tokens.push(JSON.stringify(JSON.parse(`"${m[1]}"`)));
    else if (m[2] ?? m[3]) tokens.push((m[2] ?? m[3])!);
  }
  if (re.lastIndex < text.length) throw new Error(`pbtxt: cannot read at offset ${re.lastIndex}`);
  return tokens;
}

function scalar(tok: string): PbValue {
  if (tok.startsWith('"')) return JSON.parse(tok) as string;
  const n = Number(tok);
  return Number.isFinite(n) ? n : tok;
}

/** Parses config text; repeated fields (and `field [ … ]` lists) become arrays. */
export function parsePbtxt(text: string): Record<string, PbValue> {
  const tokens = tokenize(text);
  let i = 0;
  const value = (): PbValue => {
    const t = tokens[i++]!;
    if (t === '{') return message('}');
    if (t === '[') {
      const list: PbValue[] = [];
      while (tokens[i] !== ']') {
        list.push(value());
        if (tokens[i] === ',') i++;
      }
      i++;
      return list;
    }
    return scalar(t);
  };
  const message = (end: string | undefined): Record<string, PbValue> => {
    const out: Record<string, PbValue> = {};
    while (i < tokens.length && tokens[i] !== end) {
      const key = tokens[i++]!;
      if (tokens[i] === ':') i++;
      const v = value();
      if (key in out) {
        const prev = out[key]!;
        out[key] = Array.isArray(prev) ? [...prev, v] : [prev, v];
      } else out[key] = v;
    }
    i++;
    return out;
  };
  return message(undefined);
}
