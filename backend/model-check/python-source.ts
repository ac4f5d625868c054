/**
 * Reads Python source the way the check needs it, without running Python: a tokenizer that knows
 * strings (prefixes, triple quotes), comments, brackets and line continuations, and on top of it
 * - every `import …` / `from … import …` with its line, level (relative dots), the names it binds,
 *   its character range (for the vendoring rewrite) and the blocks it sits in (try, except, if,
 *   def, class), so a guarded or lazy import is told apart from one that runs at import time;
 * - the names a module defines at its top level (class, def, assignments, imports), so a pickle's
 *   `module.Class` can be checked against the file;
 * - dotted name uses (`tools.dftools.load(…)`), which the rewrite must follow when an
 *   `import tools.dftools` becomes `import dftools`.
 */

export interface Token {
  kind: 'name' | 'op' | 'string' | 'number' | 'newline';
  value: string;
  line: number;
  col: number;
  start: number;
  end: number;
}

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let depth = 0;
  const push = (kind: Token['kind'], start: number, end: number, l = line, c = start - lineStart) =>
    out.push({ kind, value: src.slice(start, end), line: l, col: c, start, end });
  while (i < src.length) {
    const ch = src[i];
    if (ch === '\n') {
      if (depth === 0) push('newline', i, i + 1);
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (ch === '\\' && (src[i + 1] === '\n' || (src[i + 1] === '\r' && src[i + 2] === '\n'))) {
      i += src[i + 1] === '\n' ? 2 : 3;
      line++;
      lineStart = i;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\f') {
      i++;
      continue;
    }
    if (ch === '#') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    const sm = /^([rRbBuUfF]{0,2})('''|"""|'|")/.exec(src.slice(i, i + 5));
    if (sm && (sm[1] === '' || /^[A-Za-z]/.test(ch))) {
      const startLine = line;
      const startCol = i - lineStart;
      const start = i;
      const quote = sm[2];
      const raw = /r/i.test(sm[1]);
      i += sm[0].length;
      while (i < src.length) {
        if (src[i] === '\\' && !raw) {
          if (src[i + 1] === '\n') {
            line++;
            lineStart = i + 2;
          }
          i += 2;
          continue;
        }
        if (src[i] === '\\' && raw) {
          i += 2;
          continue;
        }
        if (src.startsWith(quote, i)) {
          i += quote.length;
          break;
        }
        if (src[i] === '\n') {
          if (quote.length === 1) break; // unterminated single-quoted string: stop at the line end
          line++;
          lineStart = i + 1;
        }
        i++;
      }
      out.push({ kind: 'string', value: src.slice(start, i), line: startLine, col: startCol, start, end: i });
      continue;
    }
    const nm = /^[\p{L}_][\p{L}\p{N}_]*/u.exec(src.slice(i, i + 200));
    if (nm) {
      push('name', i, i + nm[0].length);
      i += nm[0].length;
      continue;
    }
    const num = /^(\d[\d_]*\.?[\d_]*([eE][+-]?\d+)?[jJ]?|\.\d[\d_]*([eE][+-]?\d+)?[jJ]?|0[xXoObB][\da-fA-F_]+)/.exec(src.slice(i, i + 100));
    if (num) {
      push('number', i, i + num[0].length);
      i += num[0].length;
      continue;
    }
    if ('([{'.includes(ch)) depth++;
    if (')]}'.includes(ch)) depth = Math.max(0, depth - 1);
    push('op', i, i + 1);
    i++;
  }
  push('newline', src.length, src.length);
  return out;
}

/** Blocks an import sits in, outermost first. */
export type BlockKind = 'try' | 'except' | 'finally' | 'if' | 'else' | 'def' | 'class' | 'with' | 'loop' | 'main' | 'type-checking';

export interface ImportedName {
  /** The name after `import` (a dotted module for `import a.b`, a module or attribute for `from m import x`). */
  name: string;
  asName?: string;
}

export interface ImportStatement {
  kind: 'import' | 'from';
  /** `from` imports: the module after `from`, without the leading dots ('' for `from . import x`). */
  module: string;
  /** Number of leading dots of a relative import. */
  level: number;
  names: ImportedName[];
  line: number;
  /** Character range of the whole statement in the source (for rewriting). */
  start: number;
  end: number;
  blocks: BlockKind[];
  /** The enclosing def, for messages ("runs when predict() is called"). */
  inFunction?: string;
}

export interface ParsedSource {
  imports: ImportStatement[];
  /** Names bound at the module's top level. */
  topLevelNames: Set<string>;
  tokens: Token[];
}

const COMPOUND = new Set(['try', 'except', 'finally', 'if', 'elif', 'else', 'def', 'class', 'with', 'for', 'while', 'async']);

function logicalLines(tokens: Token[]): Token[][] {
  const lines: Token[][] = [];
  let cur: Token[] = [];
  for (const t of tokens) {
    if (t.kind === 'newline') {
      if (cur.length) lines.push(cur);
      cur = [];
    } else cur.push(t);
  }
  return lines;
}

/** Split a logical line into simple statements at top-level ';' and after a compound header's ':'. */
function statements(line: Token[]): Array<{ toks: Token[]; header?: string }> {
  const out: Array<{ toks: Token[]; header?: string }> = [];
  let depth = 0;
  let cur: Token[] = [];
  let lambdas = 0;
  for (const t of line) {
    if (t.kind === 'op' && '([{'.includes(t.value)) depth++;
    if (t.kind === 'op' && ')]}'.includes(t.value)) depth--;
    if (t.kind === 'name' && t.value === 'lambda') lambdas++;
    if (depth === 0 && t.kind === 'op' && t.value === ';') {
      if (cur.length) out.push({ toks: cur });
      cur = [];
      continue;
    }
    if (depth === 0 && t.kind === 'op' && t.value === ':' && cur.length && cur[0].kind === 'name' && COMPOUND.has(cur[0].value)) {
      if (lambdas > 0) {
        lambdas--;
        cur.push(t);
        continue;
      }
      out.push({ toks: cur, header: cur[0].value === 'async' ? (cur[1]?.value ?? 'def') : cur[0].value });
      cur = [];
      continue;
    }
    cur.push(t);
  }
  if (cur.length) out.push({ toks: cur });
  return out;
}

function blockOf(header: Token[]): BlockKind {
  const kw = header[0].value === 'async' ? (header[1]?.value ?? '') : header[0].value;
  const text = header.map((t) => t.value).join(' ');
  if (kw === 'if' && /__name__\s*==\s*['"]__main__['"]|['"]__main__['"]\s*==\s*__name__/.test(text.replace(/ /g, ''))) return 'main';
  if (kw === 'if' && /TYPE_CHECKING/.test(text)) return 'type-checking';
  if (kw === 'elif') return 'if';
  if (kw === 'for' || kw === 'while') return 'loop';
  return kw as BlockKind;
}

function dotted(toks: Token[], i: number): { name: string; next: number } {
  const parts: string[] = [];
  while (i < toks.length && toks[i].kind === 'name' && toks[i].value !== 'import' && toks[i].value !== 'as') {
    parts.push(toks[i].value);
    if (toks[i + 1]?.value === '.' && toks[i + 2]?.kind === 'name') i += 2;
    else {
      i++;
      break;
    }
  }
  return { name: parts.join('.'), next: i };
}

function parseImport(toks: Token[]): Omit<ImportStatement, 'blocks' | 'inFunction'> | null {
  const first = toks[0];
  if (first.kind !== 'name' || (first.value !== 'import' && first.value !== 'from')) return null;
  const last = toks[toks.length - 1];
  const base = { line: first.line, start: first.start, end: last.end };
  if (first.value === 'import') {
    const names: ImportedName[] = [];
    let i = 1;
    while (i < toks.length) {
      const d = dotted(toks, i);
      if (!d.name) return null;
      i = d.next;
      let asName: string | undefined;
      if (toks[i]?.value === 'as' && toks[i + 1]?.kind === 'name') {
        asName = toks[i + 1].value;
        i += 2;
      }
      names.push({ name: d.name, ...(asName ? { asName } : {}) });
      if (toks[i]?.value === ',') i++;
      else break;
    }
    return names.length ? { kind: 'import', module: '', level: 0, names, ...base } : null;
  }
  let i = 1;
  let level = 0;
  while (toks[i]?.kind === 'op' && toks[i].value === '.') {
    level++;
    i++;
  }
  // "..." may arrive as three '.' tokens; an ellipsis-like number token is not expected here.
  const d = dotted(toks, i);
  i = d.next;
  if (toks[i]?.value !== 'import') return null;
  i++;
  const names: ImportedName[] = [];
  if (toks[i]?.value === '(') i++;
  while (i < toks.length) {
    const t = toks[i];
    if (t.value === ')') break;
    if (t.value === '*') {
      names.push({ name: '*' });
      i++;
    } else if (t.kind === 'name') {
      let asName: string | undefined;
      if (toks[i + 1]?.value === 'as' && toks[i + 2]?.kind === 'name') {
        asName = toks[i + 2].value;
        names.push({ name: t.value, asName });
        i += 3;
      } else {
        names.push({ name: t.value });
        i++;
      }
    } else return null;
    if (toks[i]?.value === ',') i++;
    else if (toks[i]?.value !== ')' && i < toks.length) return null;
  }
  return names.length ? { kind: 'from', module: d.name, level, names, ...base } : null;
}

export function parsePythonSource(src: string): ParsedSource {
  const tokens = tokenize(src);
  const imports: ImportStatement[] = [];
  const topLevelNames = new Set<string>();
  const stack: Array<{ indent: number; kind: BlockKind; name?: string }> = [];
  for (const line of logicalLines(tokens)) {
    const indent = line[0].col;
    while (stack.length && stack[stack.length - 1].indent >= indent) stack.pop();
    const stmts = statements(line);
    const inline: Array<{ kind: BlockKind; name?: string }> = [];
    for (const [si, st] of stmts.entries()) {
      if (st.header) {
        const kind = blockOf(st.toks);
        const name =
          kind === 'def' || kind === 'class' ? st.toks.find((t, j) => j > 0 && t.kind === 'name' && t.value !== 'def')?.value : undefined;
        if (stack.length === 0 && inline.length === 0 && name) topLevelNames.add(name);
        // A header ending the line opens a block for the following (deeper) lines.
        if (si === stmts.length - 1) stack.push({ indent, kind, ...(name ? { name } : {}) });
        else inline.push({ kind, ...(name ? { name } : {}) });
        continue;
      }
      const ctx = [...stack, ...inline];
      const imp = parseImport(st.toks);
      if (imp) {
        const fn = [...ctx].reverse().find((b) => b.kind === 'def');
        imports.push({ ...imp, blocks: ctx.map((b) => b.kind), ...(fn?.name ? { inFunction: fn.name } : {}) });
        if (ctx.every((b) => b.kind !== 'def' && b.kind !== 'class'))
          for (const n of imp.names) if (n.name !== '*') topLevelNames.add(n.asName ?? n.name.split('.')[0]);
        continue;
      }
      // Top-level assignments: `Name = …`, `A, B = …`, `Name: T = …` (also inside top-level if/try).
      if (ctx.every((b) => b.kind !== 'def' && b.kind !== 'class')) {
        const eq = st.toks.findIndex((t) => t.kind === 'op' && t.value === '=' && st.toks[st.toks.indexOf(t) + 1]?.value !== '=');
        if (eq > 0)
          for (const t of st.toks.slice(0, eq))
            if (t.kind === 'name' && !['for', 'in', 'not', 'and', 'or'].includes(t.value)) {
              const before = st.toks[st.toks.indexOf(t) - 1];
              if (!before || before.value === ',' || before.value === '(') topLevelNames.add(t.value);
            }
      }
    }
  }
  return { imports, topLevelNames, tokens };
}

/** Uses of a dotted name outside import statements, e.g. `tools.dftools` in `tools.dftools.load(x)`; not attribute chains like `self.tools.dftools`. */
export function dottedUses(parsed: ParsedSource, dottedName: string): Array<{ start: number; end: number }> {
  const parts = dottedName.split('.');
  const inImport = (pos: number) => parsed.imports.some((im) => pos >= im.start && pos < im.end);
  const t = parsed.tokens;
  const out: Array<{ start: number; end: number }> = [];
  for (let i = 0; i < t.length; i++) {
    if (t[i].kind !== 'name' || t[i].value !== parts[0]) continue;
    if (i > 0 && t[i - 1].kind === 'op' && t[i - 1].value === '.') continue;
    let j = i;
    let ok = true;
    for (let k = 1; k < parts.length; k++) {
      if (t[j + 1]?.value === '.' && t[j + 2]?.kind === 'name' && t[j + 2].value === parts[k]) j += 2;
      else {
        ok = false;
        break;
      }
    }
    if (ok && !inImport(t[i].start)) out.push({ start: t[i].start, end: t[j].end });
  }
  return out;
}
