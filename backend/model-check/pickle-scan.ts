/**
 * Reads a pickle stream WITHOUT executing it: a symbolic pickle machine that follows every opcode of
 * protocols 0–5 (memo, marks, frames, GLOBAL/STACK_GLOBAL/INST, REDUCE/NEWOBJ/NEWOBJ_EX/OBJ/BUILD) and
 * builds a stand-in object graph, so it can say which `module.Class` each part of the model needs
 * and where in the model it sits ("model.nmfs['BPix2'].nmf"). Nothing is imported or called.
 *
 * joblib files are pickles in which every numpy array is a `joblib.numpy_pickle.NumpyArrayWrapper`
 * whose raw array bytes follow the wrapper's BUILD opcode in the file (after an alignment padding
 * byte + padding since joblib 1.2, or a nested pickle for object arrays); those are skipped exactly
 * as joblib's NumpyUnpickler reads them. Decompression happens before (joblib-file.ts).
 */

export class PickleScanError extends Error {
  override name = 'PickleScanError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** A value on the symbolic stack. Objects are JS references, so memo sharing and mutation behave as in pickle. */
export type PValue =
  | { t: 'none' }
  | { t: 'bool'; v: boolean }
  | { t: 'int'; v: number | bigint }
  | { t: 'float'; v: number }
  | { t: 'str'; v: string }
  | { t: 'bytes'; length: number; head: Uint8Array }
  | { t: 'global'; module: string; name: string; offset: number }
  | { t: 'tuple'; items: PValue[] }
  | { t: 'list'; items: PValue[] }
  | { t: 'set'; items: PValue[] }
  | { t: 'dict'; entries: Array<[PValue, PValue]> }
  | { t: 'obj'; callable: PValue; args: PValue[]; kwargs?: PValue; state?: PValue; array?: ArrayInfo }
  | { t: 'opaque'; what: string };

export interface ArrayInfo {
  dtype: string;
  shape: number[];
  bytes: number;
}

/** One `module.name` the stream imports, with where in the object graph it is needed. */
export interface PickleReference {
  module: string;
  name: string;
  /** How often the stream names it (memo reuse counts once). */
  count: number;
  /** Up to three paths in the object graph that need it, shortest first ("model", "model.nmfs['BPix2']"). */
  paths: string[];
  /** Byte offset of its first GLOBAL/STACK_GLOBAL/INST in the (decompressed) stream. */
  offset: number;
}

export interface SklearnVersionRecord {
  version: string;
  /** Classes whose state records it, e.g. sklearn.decomposition._nmf.NMF. */
  classes: string[];
  paths: string[];
}

export interface PickleScan {
  protocol: number;
  /** The root object's class (or type), e.g. "pixelnmf.PixelNMF" or "dict". */
  rootType: string;
  references: PickleReference[];
  sklearnVersions: SklearnVersionRecord[];
  /** numpy arrays joblib stored after the pickle (NumpyArrayWrapper). */
  joblibArrays: { count: number; bytes: number; aligned: boolean };
  /** What the stream uses that a plain unpickler cannot satisfy from the file alone. */
  notes: string[];
  /** Bytes of the stream read (the rest of a file after STOP is ignored, as pickle does). */
  length: number;
}

/** Python 2 module names pickle maps to Python 3 when it reads protocols 0–2 (fix_imports, _compat_pickle). */
export const PY2_MODULES: Record<string, string> = {
  __builtin__: 'builtins',
  copy_reg: 'copyreg',
  Queue: 'queue',
  SocketServer: 'socketserver',
  ConfigParser: 'configparser',
  repr: 'reprlib',
  cPickle: 'pickle',
  cStringIO: 'io',
  StringIO: 'io',
  UserDict: 'collections',
  UserList: 'collections',
  exceptions: 'builtins',
  _abcoll: 'collections.abc',
};

/** Callables that rebuild an instance of their first argument; the object's class is that argument. */
const RECONSTRUCTORS = new Set([
  'copyreg._reconstructor',
  'copyreg.__newobj__',
  'copyreg.__newobj_ex__',
  'numpy.core.multiarray._reconstruct',
  'numpy._core.multiarray._reconstruct',
]);

const JOBLIB_WRAPPER = 'joblib.numpy_pickle.NumpyArrayWrapper';
const OLD_JOBLIB_WRAPPERS = new Set(['joblib.numpy_pickle.NDArrayWrapper', 'joblib.numpy_pickle.ZNDArrayWrapper']);

function globalName(v: PValue | undefined): string | null {
  return v && v.t === 'global' ? `${v.module}.${v.name}` : null;
}

/** The class an object stands for: the callable, or a reconstructor's first argument. */
export function classOf(o: Extract<PValue, { t: 'obj' }>): string {
  const c = globalName(o.callable);
  if (c && RECONSTRUCTORS.has(c) && o.args[0]) return globalName(o.args[0]) ?? c;
  return c ?? 'object';
}

/** Item size in bytes of a numpy dtype descriptor string ('f8', 'U10', 'V24', 'b1', …); null when unknown. */
export function dtypeItemSize(descr: string): number | null {
  const m = /^[<>|=]?([a-zA-Z?])(\d*)/.exec(descr);
  if (!m) return null;
  const [, kind, n] = m;
  const num = n ? Number(n) : NaN;
  if (kind === 'U') return Number.isFinite(num) ? 4 * num : null;
  if (kind === '?') return 1;
  if ('bBhHiIlLqQefdgFDGO'.includes(kind) && !n)
    return (
      { b: 1, B: 1, h: 2, H: 2, i: 4, I: 4, l: 8, L: 8, q: 8, Q: 8, e: 2, f: 4, d: 8, g: 16, F: 8, D: 16, G: 32, O: 8 } as Record<
        string,
        number
      >
    )[kind];
  return Number.isFinite(num) ? num : null;
}

interface DtypeInfo {
  descr: string;
  itemSize: number | null;
  hasObject: boolean;
}

function dtypeOf(v: PValue | undefined): DtypeInfo | null {
  if (!v || v.t !== 'obj' || !/^numpy\.(dtype|dtypes\.\w+)$/.test(classOf(v))) return null;
  const a0 = v.args[0];
  const descr = a0 && a0.t === 'str' ? a0.v : '';
  let itemSize = dtypeItemSize(descr);
  // The state tuple (version, byteorder, subdescr, names, fields, elsize, alignment, flags) of a
  // structured or void dtype carries the real element size.
  if (v.state && v.state.t === 'tuple') {
    const elsize = v.state.items[5];
    if (elsize && elsize.t === 'int' && Number(elsize.v) > 0) itemSize = Number(elsize.v);
  }
  const flags = v.state && v.state.t === 'tuple' ? v.state.items[7] : undefined;
  // NPY_ITEM_HASOBJECT (0x01) in the flags; a plain 'O8' descriptor too.
  const hasObject = descr.startsWith('O') || (flags?.t === 'int' && (Number(flags.v) & 1) === 1);
  return { descr, itemSize, hasObject };
}

function dictGet(d: PValue | undefined, key: string): PValue | undefined {
  if (!d || d.t !== 'dict') return undefined;
  for (const [k, v] of d.entries) if (k.t === 'str' && k.v === key) return v;
  return undefined;
}

function asInt(v: PValue | undefined): number | null {
  return v && v.t === 'int' ? Number(v.v) : v && v.t === 'bool' ? Number(v.v) : null;
}

const decoder = new TextDecoder('utf-8');
const latin1 = new TextDecoder('latin1');

/** Options of one scan. */
export interface ScanOptions {
  /** Treat the stream as joblib's (skip the array bytes after each NumpyArrayWrapper). Default true: a plain pickle has no wrappers. */
  joblib?: boolean;
}

/**
 * Scan one pickle stream starting at `start` (a nested stream of object arrays starts inside a
 * file). Returns the scan and where the stream ended.
 */
export function scanPickle(data: Uint8Array, opts: ScanOptions = {}): PickleScan {
  const acc = new Accumulator();
  const { root, end, protocol } = runMachine(data, 0, acc, opts.joblib !== false);
  return acc.finish(root, protocol, end);
}

class Accumulator {
  globals: Array<Extract<PValue, { t: 'global' }>> = [];
  joblibArrays = { count: 0, bytes: 0, aligned: false };
  notes = new Set<string>();
  /** Objects of nested (object-array) streams, reachable through the array that holds them. */
  nestedRoots = new Map<PValue, PValue>();

  finish(root: PValue, protocol: number, length: number): PickleScan {
    const refs = new Map<string, PickleReference>();
    for (const g of this.globals) {
      const key = `${g.module}.${g.name}`;
      const r = refs.get(key);
      if (r) r.count += 1;
      else refs.set(key, { module: g.module, name: g.name, count: 1, paths: [], offset: g.offset });
    }
    const sk = new Map<string, SklearnVersionRecord>();
    // Breadth-first from the root: the first paths found are the shortest.
    const seen = new Set<PValue>();
    const queue: Array<[PValue, string]> = [[root, 'model']];
    const addPath = (name: string | null, p: string) => {
      if (!name) return;
      const r = refs.get(name);
      if (r && r.paths.length < 3 && !r.paths.includes(p)) r.paths.push(p);
    };
    while (queue.length) {
      const [v, p] = queue.shift()!;
      if (seen.has(v)) continue;
      seen.add(v);
      switch (v.t) {
        case 'global':
          addPath(`${v.module}.${v.name}`, p);
          break;
        case 'tuple':
        case 'list':
        case 'set':
          v.items.forEach((x, i) => queue.push([x, `${p}[${i}]`]));
          break;
        case 'dict':
          for (const [k, x] of v.entries) {
            queue.push([x, `${p}[${keyText(k)}]`]);
            if (k.t !== 'str' && k.t !== 'int') queue.push([k, `${p} (a key)`]);
          }
          break;
        case 'obj': {
          const cls = classOf(v);
          addPath(cls, p);
          addPath(globalName(v.callable), p);
          v.args.forEach((x, i) =>
            queue.push([x, i === 0 && RECONSTRUCTORS.has(globalName(v.callable) ?? '') ? p : `${p} (argument ${i + 1})`]),
          );
          if (v.kwargs) queue.push([v.kwargs, `${p} (keyword arguments)`]);
          const state = v.state;
          // An object array rebuilt by numpy: state (version, shape, dtype, fortran, elements).
          if (cls === 'numpy.ndarray' && state?.t === 'tuple' && state.items[4]?.t === 'list') {
            state.items[4].items.forEach((x, i) => queue.push([x, `${p}[${i}]`]));
            break;
          }
          const attrs = state?.t === 'tuple' && state.items.length === 2 ? state.items : state ? [state] : [];
          for (const s of attrs) {
            if (s.t === 'dict')
              for (const [k, x] of s.entries) {
                if (k.t === 'str' && k.v === '_sklearn_version' && x.t === 'str') {
                  const rec = sk.get(x.v) ?? { version: x.v, classes: [], paths: [] };
                  if (!rec.classes.includes(cls)) rec.classes.push(cls);
                  if (rec.paths.length < 3) rec.paths.push(p);
                  sk.set(x.v, rec);
                }
                queue.push([x, k.t === 'str' && /^[A-Za-z_]\w*$/.test(k.v) ? `${p}.${k.v}` : `${p}[${keyText(k)}]`]);
              }
            else queue.push([s, `${p} (state)`]);
          }
          const nested = this.nestedRoots.get(v);
          if (nested) queue.push([nested, p]);
          break;
        }
        default:
      }
    }
    const rootType = root.t === 'obj' ? classOf(root) : root.t === 'global' ? `${root.module}.${root.name}` : root.t;
    return {
      protocol,
      rootType,
      references: [...refs.values()].sort((a, b) => a.offset - b.offset),
      sklearnVersions: [...sk.values()],
      joblibArrays: this.joblibArrays,
      notes: [...this.notes],
      length,
    };
  }
}

function keyText(k: PValue): string {
  if (k.t === 'str') return `'${k.v.length > 40 ? `…${k.v.slice(-28)}` : k.v}'`;
  if (k.t === 'int') return String(k.v);
  return k.t;
}

/** The symbolic machine over one stream. */
function runMachine(data: Uint8Array, start: number, acc: Accumulator, joblib: boolean): { root: PValue; end: number; protocol: number } {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = start;
  let protocol = 0;
  const stack: PValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PValue>();

  const fail = (msg: string, at = pos): never => {
    throw new PickleScanError(msg, at);
  };
  const need = (n: number) => {
    if (pos + n > data.length)
      fail(`the stream ends in the middle of an opcode (needs ${n} more bytes at byte ${pos}, the file has ${data.length})`);
  };
  const u8 = () => {
    need(1);
    return data[pos++];
  };
  const u16 = () => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = () => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const i32 = () => {
    need(4);
    const v = view.getInt32(pos, true);
    pos += 4;
    return v;
  };
  const u64 = () => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail('a length field is larger than any file could be');
    return Number(v);
  };
  const bytes = (n: number) => {
    need(n);
    const b = data.subarray(pos, pos + n);
    pos += n;
    return b;
  };
  const line = () => {
    const nl = data.indexOf(0x0a, pos);
    if (nl < 0) fail('a text opcode has no end of line');
    const s = latin1.decode(data.subarray(pos, nl));
    pos = nl + 1;
    return s;
  };
  const pop = (): PValue => {
    if (stack.length === 0 || (marks.length && stack.length <= marks[marks.length - 1]))
      fail('an opcode takes a value from an empty stack (the stream is damaged or not a pickle)');
    return stack.pop()!;
  };
  const top = (): PValue => {
    if (!stack.length) fail('an opcode needs a value on an empty stack');
    return stack[stack.length - 1];
  };
  const popMark = (): PValue[] => {
    if (!marks.length) fail('an opcode needs a MARK that was never set');
    const m = marks.pop()!;
    return stack.splice(m);
  };
  const mkGlobal = (module: string, name: string, at: number): PValue => {
    const mod = protocol < 3 && PY2_MODULES[module] ? PY2_MODULES[module] : module;
    const g = { t: 'global' as const, module: mod, name, offset: at };
    acc.globals.push(g);
    if (OLD_JOBLIB_WRAPPERS.has(`${mod}.${name}`))
      acc.notes.add(
        `written by joblib older than 0.10 (${name}): its numpy arrays are in separate files next to it, which this check does not read`,
      );
    return g;
  };
  const bytesVal = (b: Uint8Array): PValue => ({ t: 'bytes', length: b.length, head: b.slice(0, 64) });
  const memoPut = (i: number) => memo.set(i, top());
  const memoGet = (i: number) => {
    const v = memo.get(i);
    if (!v) fail(`the stream reads memo entry ${i}, which was never stored`);
    stack.push(v!);
  };
  const setItems = (d: PValue, kv: PValue[]) => {
    if (d.t === 'dict') for (let i = 0; i + 1 < kv.length; i += 2) d.entries.push([kv[i], kv[i + 1]]);
    // A SETITEMS on an object (a dict subclass rebuilt with REDUCE): keep the items as its state.
    else if (d.t === 'obj') {
      const s = (d.state ??= { t: 'dict', entries: [] });
      if (s.t === 'dict') for (let i = 0; i + 1 < kv.length; i += 2) s.entries.push([kv[i], kv[i + 1]]);
    }
  };
  const appendItems = (l: PValue, items: PValue[]) => {
    if (l.t === 'list' || l.t === 'set') l.items.push(...items);
    else if (l.t === 'obj') {
      const s = (l.state ??= { t: 'list', items: [] });
      if (s.t === 'list') s.items.push(...items);
    }
  };

  /** After BUILD of a NumpyArrayWrapper: skip the array as joblib's NumpyUnpickler reads it. */
  const readJoblibArray = (w: Extract<PValue, { t: 'obj' }>) => {
    const state = w.state;
    const shapeV = dictGet(state, 'shape');
    const shape = shapeV && shapeV.t === 'tuple' ? shapeV.items.map((x) => asInt(x) ?? 0) : [];
    const dt = dtypeOf(dictGet(state, 'dtype'));
    if (!dt) fail('a joblib array wrapper without a readable dtype');
    const count = shape.reduce((a, b) => a * b, 1);
    if (dt!.hasObject) {
      // Object arrays: joblib pickles them into the file as a nested pickle stream (protocol 2).
      const nested = runMachine(data, pos, acc, joblib);
      pos = nested.end;
      acc.nestedRoots.set(w, nested.root);
      w.array = { dtype: dt!.descr, shape, bytes: 0 };
    } else {
      if (dt!.itemSize === null) fail(`a joblib array with the dtype ${dt!.descr}, whose item size this check does not know`);
      if (dictGet(state, 'numpy_array_alignment_bytes') && dictGet(state, 'numpy_array_alignment_bytes')!.t !== 'none') {
        acc.joblibArrays.aligned = true;
        const padding = u8();
        bytes(padding);
      }
      const size = count * dt!.itemSize!;
      bytes(size);
      w.array = { dtype: dt!.descr, shape, bytes: size };
      acc.joblibArrays.bytes += size;
    }
    acc.joblibArrays.count += 1;
  };

  const PROTOCOL1_OPS = new Set([
    0x4a, 0x4b, 0x4d, 0x47, 0x54, 0x55, 0x58, 0x5d, 0x7d, 0x29, 0x65, 0x75, 0x71, 0x72, 0x68, 0x6a, 0x6f, 0x51,
  ]);
  // What a pickle can start with: PROTO, MARK, or an opcode that pushes a value.
  const FIRST_OPS = new Set([
    0x80, 0x28, 0x4e, 0x49, 0x4a, 0x4b, 0x4d, 0x4c, 0x46, 0x47, 0x53, 0x54, 0x55, 0x56, 0x58, 0x5d, 0x7d, 0x29, 0x63, 0x50,
  ]);
  if (pos < data.length && !FIRST_OPS.has(data[pos]))
    fail(`this is not a pickle stream (it starts with byte 0x${data[pos].toString(16).padStart(2, '0')})`);
  for (;;) {
    const at = pos;
    if (pos >= data.length)
      fail(start === 0 ? 'the stream ends without a STOP opcode (the file is truncated)' : 'a nested array stream ends without STOP');
    const op = data[pos++];
    if (protocol === 0 && PROTOCOL1_OPS.has(op)) protocol = 1;
    switch (op) {
      case 0x80: // PROTO
        protocol = u8();
        if (protocol > 5) fail(`pickle protocol ${protocol} is newer than any Python writes (5 is the highest)`, at);
        break;
      case 0x95: // FRAME: a length prefix; the opcodes inside are read as they come
        u64();
        break;
      case 0x2e: // STOP
        return { root: stack.length ? stack[stack.length - 1] : { t: 'none' }, end: pos, protocol };
      case 0x28: // MARK
        marks.push(stack.length);
        break;
      case 0x30: // POP
        if (marks.length && stack.length === marks[marks.length - 1]) marks.pop();
        else pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;
      case 0x4e: // NONE
        stack.push({ t: 'none' });
        break;
      case 0x88: // NEWTRUE
      case 0x89: // NEWFALSE
        stack.push({ t: 'bool', v: op === 0x88 });
        break;
      case 0x49: {
        // INT (text): "01"/"00" are True/False in protocol 0
        const s = line();
        stack.push(s === '01' || s === '00' ? { t: 'bool', v: s === '01' } : { t: 'int', v: Number(s) });
        break;
      }
      case 0x4a: // BININT
        stack.push({ t: 'int', v: i32() });
        break;
      case 0x4b: // BININT1
        stack.push({ t: 'int', v: u8() });
        break;
      case 0x4d: // BININT2
        stack.push({ t: 'int', v: u16() });
        break;
      case 0x4c: // LONG (text)
        stack.push({ t: 'int', v: Number(line().replace(/L$/, '')) });
        break;
      case 0x8a: // LONG1
      case 0x8b: {
        // LONG4: little-endian two's complement
        const n = op === 0x8a ? u8() : u32();
        const b = bytes(n);
        let v = 0n;
        for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
        if (n && b[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        stack.push({ t: 'int', v: v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v });
        break;
      }
      case 0x46: // FLOAT (text)
        stack.push({ t: 'float', v: Number(line()) });
        break;
      case 0x47: {
        // BINFLOAT (big-endian double)
        need(8);
        stack.push({ t: 'float', v: view.getFloat64(pos, false) });
        pos += 8;
        break;
      }
      case 0x53: {
        // STRING (text, quoted repr)
        const s = line();
        stack.push({ t: 'str', v: s.replace(/^(['"])(.*)\1$/s, '$2') });
        break;
      }
      case 0x54: // BINSTRING
        stack.push({ t: 'str', v: latin1.decode(bytes(i32())) });
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push({ t: 'str', v: latin1.decode(bytes(u8())) });
        break;
      case 0x56: // UNICODE (raw-unicode-escape)
        stack.push({ t: 'str', v: line().replace(/\\u([0-9a-fA-F]{4})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))) });
        break;
      case 0x58: // BINUNICODE
        stack.push({ t: 'str', v: decoder.decode(bytes(u32())) });
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push({ t: 'str', v: decoder.decode(bytes(u8())) });
        break;
      case 0x8d: // BINUNICODE8
        stack.push({ t: 'str', v: decoder.decode(bytes(u64())) });
        break;
      case 0x42: // BINBYTES
        stack.push(bytesVal(bytes(u32())));
        break;
      case 0x43: // SHORT_BINBYTES
        stack.push(bytesVal(bytes(u8())));
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        stack.push(bytesVal(bytes(u64())));
        break;
      case 0x97: // NEXT_BUFFER
        acc.notes.add(
          'uses out-of-band buffers (pickle protocol 5 with a buffer_callback): the data is not in this file, so it cannot be loaded from it alone',
        );
        stack.push({ t: 'opaque', what: 'out-of-band buffer' });
        break;
      case 0x98: // READONLY_BUFFER
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push({ t: 'tuple', items: [] });
        break;
      case 0x74: // TUPLE
        stack.push({ t: 'tuple', items: popMark() });
        break;
      case 0x85:
      case 0x86:
      case 0x87: {
        // TUPLE1..3
        const n = op - 0x84;
        const items: PValue[] = [];
        for (let i = 0; i < n; i++) items.unshift(pop());
        stack.push({ t: 'tuple', items });
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push({ t: 'list', items: [] });
        break;
      case 0x6c: // LIST
        stack.push({ t: 'list', items: popMark() });
        break;
      case 0x61: {
        // APPEND
        const v = pop();
        appendItems(top(), [v]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push({ t: 'dict', entries: [] });
        break;
      case 0x64: {
        // DICT
        const kv = popMark();
        const d: PValue = { t: 'dict', entries: [] };
        setItems(d, kv);
        stack.push(d);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const kv = popMark();
        setItems(top(), kv);
        break;
      }
      case 0x8f: // EMPTY_SET
        stack.push({ t: 'set', items: [] });
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        appendItems(top(), items);
        break;
      }
      case 0x91: // FROZENSET
        stack.push({ t: 'set', items: popMark() });
        break;
      case 0x63: {
        // GLOBAL "module\nname\n"
        const module = line();
        const name = line();
        stack.push(mkGlobal(module, name, at));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (module.t !== 'str' || name.t !== 'str') fail('STACK_GLOBAL with a module or name that is not a string', at);
        stack.push(mkGlobal((module as { v: string }).v, (name as { v: string }).v, at));
        break;
      }
      case 0x69: {
        // INST "module\nname\n": class from the lines, arguments since the mark
        const module = line();
        const name = line();
        const args = popMark();
        stack.push({ t: 'obj', callable: mkGlobal(module, name, at), args });
        break;
      }
      case 0x6f: {
        // OBJ: mark, class, args…
        const items = popMark();
        if (!items.length) fail('OBJ without a class', at);
        stack.push({ t: 'obj', callable: items[0], args: items.slice(1) });
        break;
      }
      case 0x52: {
        // REDUCE: callable(*args)
        const args = pop();
        const callable = pop();
        stack.push({ t: 'obj', callable, args: args.t === 'tuple' ? args.items : [args] });
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args)
        const args = pop();
        const cls = pop();
        stack.push({ t: 'obj', callable: cls, args: args.t === 'tuple' ? args.items : [args] });
        break;
      }
      case 0x92: {
        // NEWOBJ_EX: cls.__new__(cls, *args, **kwargs)
        const kwargs = pop();
        const args = pop();
        const cls = pop();
        stack.push({ t: 'obj', callable: cls, args: args.t === 'tuple' ? args.items : [args], kwargs });
        break;
      }
      case 0x62: {
        // BUILD: obj.__setstate__(state) or obj.__dict__.update(state)
        const state = pop();
        const obj = top();
        if (obj.t === 'obj') {
          obj.state = state;
          if (joblib && classOf(obj) === JOBLIB_WRAPPER) readJoblibArray(obj);
        }
        break;
      }
      case 0x70: // PUT (text)
        memoPut(Number(line()));
        break;
      case 0x71: // BINPUT
        memoPut(u8());
        break;
      case 0x72: // LONG_BINPUT
        memoPut(u32());
        break;
      case 0x94: // MEMOIZE
        memoPut(memo.size);
        break;
      case 0x67: // GET (text)
        memoGet(Number(line()));
        break;
      case 0x68: // BINGET
        memoGet(u8());
        break;
      case 0x6a: // LONG_BINGET
        memoGet(u32());
        break;
      case 0x50: // PERSID (text)
        line();
        acc.notes.add(
          'uses persistent ids (objects stored outside the pickle, e.g. by PyTorch): only the program that wrote it can load it',
        );
        stack.push({ t: 'opaque', what: 'persistent object' });
        break;
      case 0x51: // BINPERSID
        pop();
        acc.notes.add(
          'uses persistent ids (objects stored outside the pickle, e.g. by PyTorch): only the program that wrote it can load it',
        );
        stack.push({ t: 'opaque', what: 'persistent object' });
        break;
      case 0x82:
      case 0x83:
      case 0x84: {
        // EXT1/2/4: a class registered with copyreg.add_extension
        const code = op === 0x82 ? u8() : op === 0x83 ? u16() : u32();
        acc.notes.add(`uses copyreg extension code ${code}: the class behind it is known only to the program that registered it`);
        stack.push({ t: 'opaque', what: `extension ${code}` });
        break;
      }
      default:
        fail(
          start === 0 && at === 0
            ? `this is not a pickle stream (it starts with byte 0x${op.toString(16).padStart(2, '0')})`
            : `unknown pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at} (the stream is damaged, or more data follows a joblib array than its header says)`,
          at,
        );
    }
  }
}
