/**
 * Ultralytics' `smart_value` for a CLI value string: none/true/false (any case) become null/true/false, a Python
 * literal becomes its value (ints, floats, quoted strings, lists `[1,2]`, tuples `(1,2)` or bare `0,1`, each as an
 * array), anything else stays the string. Only literals are evaluated, never expressions (as Python's
 * `ast.literal_eval`, which newer Ultralytics uses instead of `eval`).
 *
 * @example
 * smartValue('640'); // 640
 * smartValue('0,1'); // [0, 1]
 * smartValue('yolov8n.pt'); // 'yolov8n.pt'
 * smartValue('NONE'); // null
 */
export function smartValue(text: string): unknown {
  const lower = text.toLowerCase();
  if (lower === 'none') return null;
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  const parsed = parsePythonLiteral(text);
  return parsed.ok ? parsed.value : text;
}

type Parsed = { ok: true; value: unknown } | { ok: false };

/** Parses a whole string as one Python literal expression; `ok: false` when it is not one. */
export function parsePythonLiteral(text: string): Parsed {
  const parser = new LiteralParser(text);
  try {
    const value = parser.expression();
    parser.skipSpace();
    return parser.atEnd() ? { ok: true, value } : { ok: false };
  } catch (error) {
    if (error instanceof NotALiteral) return { ok: false };
    throw error;
  }
}

class NotALiteral extends Error {}

const DIGITS = String.raw`\d(?:_?\d)*`;
const EXPONENT = `[eE][+-]?${DIGITS}`;
const NUMBER = new RegExp(
  `^(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|` +
    String.raw`(?:${DIGITS})?\.${DIGITS}(?:${EXPONENT})?|${DIGITS}\.(?:${EXPONENT})?|${DIGITS}${EXPONENT}|` +
    // Python 3 rejects decimal ints with leading zeros ("007"), so they stay strings.
    String.raw`[1-9](?:_?\d)*|0(?:_?0)*)`,
);
const KEYWORDS: Record<string, unknown> = { True: true, False: false, None: null };
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', "'": "'", '"': '"' };

/** Recursive descent over the literal subset of Python expressions that CLI values use. */
class LiteralParser {
  private pos = 0;

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text.charAt(this.pos))) this.pos++;
  }

  /** A value, or a bare tuple `a, b` when a top-level comma follows. */
  expression(): unknown {
    const first = this.value();
    this.skipSpace();
    if (this.text[this.pos] !== ',') return first;
    const items = [first];
    while (this.text[this.pos] === ',') {
      this.pos++;
      this.skipSpace();
      if (this.atEnd()) break;
      items.push(this.value());
      this.skipSpace();
    }
    return items;
  }

  private value(): unknown {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === '[') return this.sequence(']');
    if (c === '(') return this.sequence(')');
    if (c === "'" || c === '"') return this.string(c);
    if (c === '-' || c === '+') {
      this.pos++;
      const operand = this.value();
      if (typeof operand !== 'number') throw new NotALiteral();
      return c === '-' ? -operand : operand;
    }
    const word = /^[A-Za-z_]\w*/.exec(this.text.slice(this.pos));
    if (word) {
      if (!Object.hasOwn(KEYWORDS, word[0])) throw new NotALiteral();
      this.pos += word[0].length;
      return KEYWORDS[word[0]];
    }
    const number = NUMBER.exec(this.text.slice(this.pos));
    if (!number || /[\w.]/.test(this.text[this.pos + number[0].length] ?? '')) throw new NotALiteral();
    this.pos += number[0].length;
    const digits = number[0].replaceAll('_', '');
    return /^0[xob]/i.test(digits) ? Number(digits.toLowerCase()) : Number(digits);
  }

  /** `[a, b]` or `(a, b)`; `(a)` without a comma is just `a`, as in Python. */
  private sequence(close: string): unknown {
    this.pos++;
    const items: unknown[] = [];
    let sawComma = false;
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === close) break;
      items.push(this.value());
      this.skipSpace();
      if (this.text[this.pos] === ',') {
        sawComma = true;
        this.pos++;
      } else if (this.text[this.pos] !== close) {
        throw new NotALiteral();
      }
    }
    this.pos++;
    return close === ')' && items.length === 1 && !sawComma ? items[0] : items;
  }

  private string(quote: string): string {
    let out = '';
    for (this.pos++; this.pos < this.text.length; this.pos++) {
      const c = this.text[this.pos];
      if (c === quote) {
        this.pos++;
        return out;
      }
      if (c === '\\' && this.pos + 1 < this.text.length) {
        const next = this.text.charAt(++this.pos);
        out += ESCAPES[next] ?? `\\${next}`;
      } else {
        out += c;
      }
    }
    throw new NotALiteral();
  }
}
