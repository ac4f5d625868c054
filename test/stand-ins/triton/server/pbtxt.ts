/**
 * TEST STAND-IN: a strict protobuf text-format parser for Triton's ModelConfig, behaving like
 * `google::protobuf::TextFormat::ParseFromString` (protobuf 3.x), which Triton uses to read
 * config.pbtxt: default parser settings (no unknown fields, no unknown enum names, no field
 * numbers, a non-repeated field set twice is an error, '#' comments, ':' optional before a message,
 * `[a, b]` lists for repeated fields, '{…}' or '<…>' around messages, ';' or ',' after a field).
 *
 * Errors are reported as protobuf reports them: `<line>:<column>: <message>`, 1-based, with the
 * position of the token the parser was looking at (protobuf counts a tab as advancing to the next
 * multiple of 8 columns). Tokenizer errors do not stop the parse (protobuf keeps going and fails at
 * the end); parser errors do.
 */
import { ENUM_SPECS, MESSAGE_SPECS, mapEntryName, type FieldSpec, type MessageSpec, type ScalarType } from './model-config-schema';

export interface PbError {
  /** 1-based, as printed. */
  line: number;
  column: number;
  message: string;
}

export type PbValue = string | number | boolean | PbMessage | PbValue[] | Record<string, unknown>;
/** A parsed message: only fields that appeared in the text (proto3 presence is derived from that). */
export type PbMessage = { [field: string]: PbValue };

type TokenType = 'start' | 'end' | 'identifier' | 'integer' | 'float' | 'string' | 'symbol';
interface Token {
  type: TokenType;
  text: string;
  /** 0-based. */
  line: number;
  column: number;
}

const TAB_WIDTH = 8;
const INT32_MAX = 2n ** 31n - 1n;
const UINT32_MAX = 2n ** 32n - 1n;
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

class Tokenizer {
  private pos = 0;
  private line = 0;
  private column = 0;
  current: Token = { type: 'start', text: '', line: 0, column: 0 };

  constructor(
    private readonly src: string,
    private readonly onError: (line: number, column: number, message: string) => void,
  ) {}

  private peek(): string {
    return this.pos < this.src.length ? this.src[this.pos] : '';
  }

  private nextChar(): void {
    if (this.peek() === '\n') {
      this.line++;
      this.column = 0;
    } else if (this.peek() === '\t') {
      this.column += TAB_WIDTH - (this.column % TAB_WIDTH);
    } else {
      this.column++;
    }
    this.pos++;
  }

  private error(message: string): void {
    this.onError(this.line, this.column, message);
  }

  private isLetter(c: string): boolean {
    return /^[A-Za-z_]$/.test(c);
  }

  private isDigit(c: string): boolean {
    return c >= '0' && c <= '9';
  }

  private consumeDigits(test: (c: string) => boolean): void {
    while (this.peek() && test(this.peek())) this.nextChar();
  }

  private consumeNumber(startedWithZero: boolean, startedWithDot: boolean): TokenType {
    const isHex = (c: string) => /^[0-9A-Fa-f]$/.test(c);
    let isFloat = false;
    if (startedWithZero && (this.peek() === 'x' || this.peek() === 'X')) {
      this.nextChar();
      if (!isHex(this.peek())) this.error('"0x" must be followed by hex digits.');
      this.consumeDigits(isHex);
    } else if (startedWithZero && this.isDigit(this.peek())) {
      this.consumeDigits((c) => c >= '0' && c <= '7');
      if (this.isDigit(this.peek())) {
        this.error('Numbers starting with leading zero must be in octal.');
        this.consumeDigits((c) => this.isDigit(c));
      }
    } else {
      if (startedWithDot) {
        isFloat = true;
        this.consumeDigits((c) => this.isDigit(c));
      } else {
        this.consumeDigits((c) => this.isDigit(c));
        if (this.peek() === '.') {
          isFloat = true;
          this.nextChar();
          this.consumeDigits((c) => this.isDigit(c));
        }
      }
      if (this.peek() === 'e' || this.peek() === 'E') {
        isFloat = true;
        this.nextChar();
        if (this.peek() === '-' || this.peek() === '+') this.nextChar();
        if (!this.isDigit(this.peek())) this.error('"e" must be followed by exponent.');
        this.consumeDigits((c) => this.isDigit(c));
      }
      if (this.peek() === 'f' || this.peek() === 'F') {
        isFloat = true;
        this.nextChar();
      }
    }
    if (this.isLetter(this.peek())) this.error('Need space between number and identifier.');
    else if (this.peek() === '.')
      this.error(isFloat ? "Already saw decimal point or exponent; can't have another one." : 'Hex and octal numbers must be integers.');
    return isFloat ? 'float' : 'integer';
  }

  private consumeString(delimiter: string): void {
    for (;;) {
      const c = this.peek();
      if (c === '') {
        this.error('Unexpected end of string.');
        return;
      }
      if (c === '\n') {
        this.error('String literals cannot cross line boundaries.');
        return;
      }
      if (c === '\\') {
        this.nextChar();
        const e = this.peek();
        if ('abfnrtv\\?\'"'.includes(e) && e !== '') this.nextChar();
        else if (e >= '0' && e <= '7') this.consumeDigits((d) => d >= '0' && d <= '7');
        else if (e === 'x') {
          this.nextChar();
          if (!/^[0-9A-Fa-f]$/.test(this.peek())) this.error('Expected hex digits for escape sequence.');
          this.consumeDigits((d) => /^[0-9A-Fa-f]$/.test(d));
        } else if (e === 'u' || e === 'U') {
          this.nextChar();
          this.consumeDigits((d) => /^[0-9A-Fa-f]$/.test(d));
        } else this.error('Invalid escape sequence in string literal.');
        continue;
      }
      this.nextChar();
      if (c === delimiter) return;
    }
  }

  /** Advances to the next token; false at the end of input. */
  next(): boolean {
    // skip whitespace and '#' comments
    for (;;) {
      while (this.peek() && /^[ \t\r\n\v\f]$/.test(this.peek())) this.nextChar();
      if (this.peek() === '#') {
        while (this.peek() && this.peek() !== '\n') this.nextChar();
        continue;
      }
      break;
    }
    const startPos = this.pos;
    const line = this.line;
    const column = this.column;
    if (this.peek() === '') {
      this.current = { type: 'end', text: '', line, column };
      return false;
    }
    const c = this.peek();
    let type: TokenType;
    if (c.charCodeAt(0) < 32 && c !== '\t' && c !== '\n') {
      this.error('Invalid control characters encountered in text.');
      this.nextChar();
      // protobuf skips such characters and keeps reading
      return this.next();
    } else if (this.isLetter(c)) {
      this.nextChar();
      while (this.peek() && /^[A-Za-z0-9_]$/.test(this.peek())) this.nextChar();
      type = 'identifier';
    } else if (this.isDigit(c)) {
      this.nextChar();
      type = this.consumeNumber(c === '0', false);
    } else if (c === '.' && this.isDigit(this.src[this.pos + 1] ?? '')) {
      this.nextChar();
      type = this.consumeNumber(false, true);
    } else if (c === '"' || c === "'") {
      this.nextChar();
      this.consumeString(c);
      type = 'string';
    } else {
      if (c.charCodeAt(0) > 127) this.error(`Interpreting non ascii codepoint ${Buffer.from(c, 'utf8')[0]}.`);
      this.nextChar();
      type = 'symbol';
    }
    this.current = { type, text: this.src.slice(startPos, this.pos), line, column };
    return true;
  }
}

/** Decodes a string token (with its quotes) as protobuf's ParseStringAppend does, to UTF-8 text. */
function parseStringToken(text: string): string {
  const body = text.slice(1, text.length > 1 && text.endsWith(text[0]) ? -1 : undefined);
  const bytes: number[] = [];
  const pushUtf8 = (s: string) => bytes.push(...Buffer.from(s, 'utf8'));
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      pushUtf8(c);
      continue;
    }
    const e = body[++i] ?? '';
    const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '?': 63, "'": 39, '"': 34 };
    if (e in simple) bytes.push(simple[e]);
    else if (e >= '0' && e <= '7') {
      let j = i;
      while (j < i + 3 && body[j] >= '0' && body[j] <= '7') j++;
      bytes.push(parseInt(body.slice(i, j), 8) & 0xff);
      i = j - 1;
    } else if (e === 'x') {
      let j = i + 1;
      while (j < i + 3 && /^[0-9A-Fa-f]$/.test(body[j] ?? '')) j++;
      bytes.push(parseInt(body.slice(i + 1, j), 16));
      i = j - 1;
    } else if (e === 'u' || e === 'U') {
      const n = e === 'u' ? 4 : 8;
      pushUtf8(String.fromCodePoint(parseInt(body.slice(i + 1, i + 1 + n), 16) || 0));
      i += n;
    } else pushUtf8(e);
  }
  return Buffer.from(bytes).toString('utf8');
}

/** protobuf's Tokenizer::ParseInteger: decimal, 0x hex or leading-zero octal; undefined on overflow. */
function parseInteger(text: string, max: bigint): bigint | undefined {
  let v: bigint;
  if (/^0[xX]/.test(text)) v = BigInt(text);
  else if (/^0[0-7]+$/.test(text)) v = BigInt(`0o${text.slice(1)}`);
  else v = BigInt(text);
  return v > max ? undefined : v;
}

class ParseAbort extends Error {}

class Parser {
  readonly errors: PbError[] = [];
  private readonly tok: Tokenizer;

  constructor(src: string) {
    this.tok = new Tokenizer(src, (line, column, message) => this.errors.push({ line: line + 1, column: column + 1, message }));
    this.tok.next();
  }

  private fail(message: string): never {
    this.errors.push({ line: this.tok.current.line + 1, column: this.tok.current.column + 1, message });
    throw new ParseAbort();
  }

  private lookingAt(text: string): boolean {
    return this.tok.current.text === text && this.tok.current.type !== 'string';
  }

  private tryConsume(text: string): boolean {
    if (this.tok.current.text === text) {
      this.tok.next();
      return true;
    }
    return false;
  }

  private consume(text: string): void {
    if (!this.tryConsume(text)) this.fail(`Expected "${text}", found "${this.tok.current.text}".`);
  }

  private consumeIdentifier(): string {
    if (this.tok.current.type === 'identifier') {
      const t = this.tok.current.text;
      this.tok.next();
      return t;
    }
    this.fail(`Expected identifier, got: ${this.tok.current.text}`);
  }

  private consumeUnsigned(max: bigint): bigint {
    if (this.tok.current.type !== 'integer') this.fail(`Expected integer, got: ${this.tok.current.text}`);
    const v = parseInteger(this.tok.current.text, max);
    if (v === undefined) this.fail(`Integer out of range (${this.tok.current.text})`);
    this.tok.next();
    return v;
  }

  private consumeSigned(max: bigint): bigint {
    const negative = this.tryConsume('-');
    const v = this.consumeUnsigned(negative ? max + 1n : max);
    return negative ? -v : v;
  }

  private consumeDouble(): number {
    const negative = this.tryConsume('-');
    const t = this.tok.current;
    let v: number;
    if (t.type === 'integer') {
      if (/^0[xX]/.test(t.text) || /^0[0-7]/.test(t.text)) this.fail(`Expect a decimal number, got: ${t.text}`);
      v = Number(t.text);
      this.tok.next();
    } else if (t.type === 'float') {
      v = parseFloat(t.text.replace(/[fF]$/, ''));
      this.tok.next();
    } else if (t.type === 'identifier' && ['inf', 'infinity', 'nan'].includes(t.text.toLowerCase())) {
      v = t.text.toLowerCase() === 'nan' ? NaN : Infinity;
      this.tok.next();
    } else this.fail(`Expected double, got: ${t.type === 'identifier' ? t.text.toLowerCase() : t.text}`);
    return negative ? -v : v;
  }

  private consumeString(): string {
    if (this.tok.current.type !== 'string') this.fail(`Expected string, got: ${this.tok.current.text}`);
    let out = '';
    while (this.tok.current.type === 'string') {
      out += parseStringToken(this.tok.current.text);
      this.tok.next();
    }
    return out;
  }

  private scalarValue(type: ScalarType, fieldName: string): string | number | boolean {
    switch (type) {
      case 'int32':
        return Number(this.consumeSigned(INT32_MAX));
      case 'int64':
        return Number(this.consumeSigned(INT64_MAX));
      case 'uint32':
        return Number(this.consumeUnsigned(UINT32_MAX));
      case 'uint64':
        return Number(this.consumeUnsigned(UINT64_MAX));
      case 'float':
        return Math.fround(this.consumeDouble());
      case 'double':
        return this.consumeDouble();
      case 'string':
      case 'bytes':
        return this.consumeString();
      case 'bool': {
        if (this.tok.current.type === 'integer') return this.consumeUnsigned(1n) === 1n;
        const v = this.consumeIdentifier();
        if (v === 'true' || v === 'True' || v === 't') return true;
        if (v === 'false' || v === 'False' || v === 'f') return false;
        this.fail(`Invalid value for boolean field "${fieldName}". Value: "${v}".`);
      }
    }
  }

  private enumValue(enumName: string, fieldName: string): string | number {
    const spec = ENUM_SPECS[enumName];
    const t = this.tok.current;
    if (t.type === 'identifier') {
      const v = this.consumeIdentifier();
      if (spec.values.some(([n]) => n === v)) return v;
      this.fail(`Unknown enumeration value of "${v}" for field "${fieldName}".`);
    }
    if (this.lookingAt('-') || t.type === 'integer') {
      const n = Number(this.consumeSigned(INT32_MAX));
      // proto3 enums are open: an unknown number is kept as a number
      return spec.values.find(([, num]) => num === n)?.[0] ?? n;
    }
    this.fail(`Expected integer or identifier, got: ${t.text}`);
  }

  /** proto3 presence as Reflection::HasField sees it (scalars and enums: non-default; messages and oneof members: set). */
  private hasField(msg: PbMessage, f: FieldSpec): boolean {
    if (!(f.name in msg)) return false;
    if (f.type.kind === 'message' || f.oneof) return true;
    const v = msg[f.name];
    if (f.type.kind === 'enum') return v !== ENUM_SPECS[f.type.enumName].values[0][0] && v !== 0;
    return !(v === '' || v === 0 || v === false);
  }

  parseMessageBody(spec: MessageSpec, msg: PbMessage, endToken: string | null): void {
    for (;;) {
      if (endToken === null ? this.tok.current.type === 'end' : this.lookingAt('>') || this.lookingAt('}')) break;
      this.parseField(spec, msg);
    }
    if (endToken !== null) this.consume(endToken);
  }

  private parseField(spec: MessageSpec, msg: PbMessage): void {
    if (this.lookingAt('[')) {
      // `[ext.name]` extensions: ModelConfig declares none
      this.tok.next();
      let name = this.consumeIdentifier();
      while (this.tryConsume('.')) name += `.${this.consumeIdentifier()}`;
      this.consume(']');
      this.fail(`Extension "${name}" is not defined or is not an extension of "${spec.fullName}".`);
    }
    const name = this.consumeIdentifier();
    const field = spec.fields.find((f) => f.name === name);
    if (!field) this.fail(`Message type "${spec.fullName}" has no field named "${name}".`);
    if (!field.repeated && this.hasField(msg, field)) this.fail(`Non-repeated field "${name}" is specified multiple times.`);
    if (field.oneof) {
      const other = spec.fields.find((f) => f.oneof === field.oneof && f !== field && f.name in msg);
      if (other) this.fail(`Field "${name}" is specified along with field "${other.name}", another member of oneof "${field.oneof}".`);
    }
    const isMessage = field.type.kind === 'message' || field.type.kind === 'map';
    if (isMessage) this.tryConsume(':');
    else this.consume(':');
    const one = () => (isMessage ? this.parseFieldMessage(spec, field, msg) : this.parseFieldValue(field, msg));
    if (field.repeated && this.tryConsume('[')) {
      if (!this.tryConsume(']')) {
        for (;;) {
          one();
          if (this.tryConsume(']')) break;
          this.consume(',');
        }
      }
    } else one();
    if (!this.tryConsume(';')) this.tryConsume(',');
  }

  private store(field: FieldSpec, msg: PbMessage, value: PbValue): void {
    if (field.repeated) ((msg[field.name] ??= []) as PbValue[]).push(value);
    else msg[field.name] = value;
  }

  private parseFieldValue(field: FieldSpec, msg: PbMessage): void {
    const t = field.type;
    const v =
      t.kind === 'enum' ? this.enumValue(t.enumName, field.name) : this.scalarValue((t as { scalar: ScalarType }).scalar, field.name);
    this.store(field, msg, v);
  }

  private parseFieldMessage(parent: MessageSpec, field: FieldSpec, msg: PbMessage): void {
    let end: string;
    if (this.tryConsume('<')) end = '>';
    else {
      this.consume('{');
      end = '}';
    }
    const t = field.type;
    if (t.kind === 'map') {
      const entrySpec: MessageSpec = {
        fullName: mapEntryName(parent.fullName, field.name),
        fields: [
          { name: 'key', type: { kind: 'scalar', scalar: t.key }, repeated: false },
          { name: 'value', type: t.value, repeated: false },
        ],
      };
      const entry: PbMessage = {};
      this.parseMessageBody(entrySpec, entry, end);
      const key = String(entry.key ?? (t.key === 'string' ? '' : 0));
      const value = entry.value ?? (t.value.kind === 'message' ? {} : t.value.scalar === 'string' ? '' : 0);
      const map = (msg[field.name] ??= {}) as Record<string, unknown>;
      map[key] = value;
      return;
    }
    const spec = MESSAGE_SPECS[(t as { messageName: string }).messageName];
    const sub: PbMessage = {};
    this.parseMessageBody(spec, sub, end);
    this.store(field, msg, sub);
  }

  run(spec: MessageSpec): PbMessage | undefined {
    const msg: PbMessage = {};
    try {
      this.parseMessageBody(spec, msg, null);
    } catch (err) {
      if (!(err instanceof ParseAbort)) throw err;
      return undefined;
    }
    return this.errors.length ? undefined : msg;
  }
}

export interface ParseResult {
  message?: PbMessage;
  errors: PbError[];
}

/** Parses `text` as the message type `typeName` (e.g. `inference.ModelConfig`). */
export function parseTextProto(text: string, typeName: string): ParseResult {
  const spec = MESSAGE_SPECS[typeName];
  if (!spec) throw new Error(`unknown message type ${typeName}`);
  const p = new Parser(text);
  const message = p.run(spec);
  return message ? { message, errors: [] } : { errors: p.errors };
}
