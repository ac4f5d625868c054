import type { NumericArray } from './ndarray';

/**
 * The values the pipeline accepts, checked where data enters (raw maps, run/LS numbers, a
 * preset's loss masks and local norms). A value outside them would silently change the result —
 * +Inf in a map changed the flag count — so it is refused with the file, the map and the bin.
 * Pure: callers wrap the message in their own error type.
 */

function showValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/**
 * Raw counts of n maps of rows × cols: finite and ≥ 0 (occupancy maps count hits). Returns the
 * problem for the first bad bin, or null. `ids` adds the run and LS to the map's position;
 * `firstMap` is the position of data's first map (inputs checked block by block).
 */
export function rawCountsProblem(
  data: NumericArray,
  rows: number,
  cols: number,
  ids?: { runs: ArrayLike<number>; lumis: ArrayLike<number> },
  firstMap = 0,
): string | null {
  const i = firstBadCount(data);
  if (i < 0) return null;
  const v = data[i];
  const per = rows * cols;
  const map = firstMap + Math.floor(i / per);
  const where = `map ${map}${ids ? ` = run ${ids.runs[map]} LS ${ids.lumis[map]}` : ''}, bin (${Math.floor((i % per) / cols)}, ${i % cols})`;
  if (v < 0 && v !== -Infinity) return `contain a negative count ${showValue(v)} (${where}); raw counts must be finite numbers ≥ 0`;
  return `contain ${showValue(v)} (${where}); raw counts must be finite numbers ≥ 0`;
}

/**
 * Position of the first value that is not a finite number ≥ 0, or −1. Unsigned integers always are;
 * signed integers are checked through the bitwise OR of all values first (its sign bit is set exactly
 * when one of them is negative), several times faster than comparing each value, which is done only
 * to find the bad one (and for floats).
 */
function firstBadCount(data: NumericArray): number {
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray || data instanceof Uint16Array || data instanceof Uint32Array)
    return -1;
  if ((data instanceof Int32Array || data instanceof Int16Array || data instanceof Int8Array) && orOfValues(data) >= 0) return -1;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    // One comparison for the common case; NaN fails it too.
    if (!(v >= 0 && v !== Infinity)) return i;
  }
  return -1;
}

function orOfValues(data: Int32Array | Int16Array | Int8Array): number {
  let or = 0;
  for (let i = 0; i < data.length; i++) or |= data[i];
  return or;
}

/** Run or LS numbers: whole, ≥ 0 and exact in a double (≤ 2^53 − 1). */
export function lumiIdsProblem(values: ArrayLike<number>, what: 'run number' | 'LS number'): string | null {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isSafeInteger(v) || v < 0) return `${what} ${showValue(v)} at position ${i} is not a whole number ≥ 0`;
  }
  return null;
}

/** A loss mask (true where a bin is usually filled): only 0 and 1, as bool, integers or floats. */
export function lossMaskProblem(data: NumericArray, cols: number): string | null {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v === 0 || v === 1) continue;
    return `has the value ${showValue(v)} at bin (${Math.floor(i / cols)}, ${i % cols}); a loss mask holds only 0 and 1 (false/true) — is this a map of another kind?`;
  }
  return null;
}

/** A local norm (the typical map the input is divided by): finite numbers. */
export function localNormProblem(data: NumericArray, cols: number): string | null {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (Number.isFinite(v)) continue;
    return `has the value ${showValue(v)} at bin (${Math.floor(i / cols)}, ${i % cols}); a local norm holds finite numbers`;
  }
  return null;
}
