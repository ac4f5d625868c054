import { patternMatrix, type ModelPreset, type PatternSpec, type ThresholdEntry } from './model-preset';

/**
 * Two presets compared by what they mean to the pipeline, not by how their JSON is written:
 * - lists whose rule is "all of" or "any of" are sets (OMS flags that must all be true, OR-ed
 *   threshold entries, flagging patterns of which any may match): order and repeats do not count;
 * - the layer list is ordered (the first layer sets the combined binning);
 * - a pattern {"ones": [r, c]} is the same as r rows of c ones; per-layer minimum entries are keyed
 *   by layer, not by position; numbers compare by value.
 * Every difference names its key exactly and says what each side holds.
 */

/** The parts of a preset in pipeline order; a difference belongs to one of them. */
export const PRESET_PARTS = ['layers', 'reconstructionInput', 'thresholds', 'combine', 'flagging', 'filters'] as const;
export type PresetPart = (typeof PRESET_PARTS)[number];

export interface PresetDifference {
  part: PresetPart;
  /** The key that differs, e.g. "filters.omsBooleans" or "layers[1].onnx". */
  path: string;
  /** "filters.minPileup: 25 in model.npz, 30 in preset.json". */
  text: string;
}

export interface CompareOptions {
  /** What to call each side in the texts (default "the first preset" / "the second preset"). */
  labels?: { a: string; b: string };
  /** Compare the layers' model file paths too (default true; the model server does not read them). */
  files?: boolean;
  /** Only these parts (default all). */
  parts?: readonly PresetPart[];
}

const LAYER_FILE_KEYS = ['onnx', 'localNorm', 'lossMask'] as const;

function num(v: number | null): string {
  return v === null ? 'none (no cut)' : String(v);
}

export function describePattern(p: PatternSpec): string {
  const m = patternMatrix(p);
  if (m.values.every((v) => v === 1)) return `${m.rows}×${m.cols} ones`;
  return JSON.stringify(Array.from({ length: m.rows }, (_, r) => Array.from(m.values.subarray(r * m.cols, (r + 1) * m.cols))));
}

/** A pattern's meaning as a comparable key: its shape and values. */
function patternKey(p: PatternSpec): string {
  const m = patternMatrix(p);
  return `${m.rows}x${m.cols}:${Array.from(m.values).join(',')}`;
}

function thresholdKey(t: ThresholdEntry): string {
  return `${t.lossThreshold}|${patternKey(t.pattern)}|${t.filterThreshold}`;
}

/** Items of `a` and `b` that have no equal partner on the other side (sets: repeats do not count). */
function unmatched<T>(a: readonly T[], b: readonly T[], key: (x: T) => string): { onlyA: T[]; onlyB: T[] } {
  const ka = new Set(a.map(key));
  const kb = new Set(b.map(key));
  const seen = new Set<string>();
  const keep = (xs: readonly T[], other: Set<string>) =>
    xs.filter((x) => {
      const k = key(x);
      if (other.has(k) || seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  const onlyA = keep(a, kb);
  seen.clear();
  return { onlyA, onlyB: keep(b, ka) };
}

export function presetDifferences(a: ModelPreset, b: ModelPreset, opts: CompareOptions = {}): PresetDifference[] {
  const la = opts.labels?.a ?? 'the first preset';
  const lb = opts.labels?.b ?? 'the second preset';
  const parts = opts.parts ?? PRESET_PARTS;
  const out: PresetDifference[] = [];
  const add = (part: PresetPart, path: string, text: string) => out.push({ part, path, text: `${path}: ${text}` });
  const values = (part: PresetPart, path: string, x: string, y: string) => x !== y && add(part, path, `${x} in ${la}, ${y} in ${lb}`);
  const only = (part: PresetPart, path: string, xs: string[], ys: string[]) => {
    const said = [...(xs.length ? [`${xs.join(', ')} only in ${la}`] : []), ...(ys.length ? [`${ys.join(', ')} only in ${lb}`] : [])];
    if (said.length) add(part, path, said.join('; '));
  };

  if (parts.includes('layers')) {
    const names = (p: ModelPreset) => p.layers.map((l) => l.name).join(', ');
    if (names(a) !== names(b)) values('layers', 'layers', names(a), names(b));
    else
      a.layers.forEach((x, i) => {
        const y = b.layers[i];
        const at = `layers[${i}]`;
        values('layers', `${at}.monitoringElement`, x.monitoringElement, y.monitoringElement);
        values('layers', `${at}.shape`, x.shape.join('×'), y.shape.join('×'));
        values('layers', `${at}.cross.rows`, x.cross.rows.join(':'), y.cross.rows.join(':'));
        values('layers', `${at}.cross.columns`, x.cross.columns.join(':'), y.cross.columns.join(':'));
        if (opts.files !== false) for (const k of LAYER_FILE_KEYS) values('layers', `${at}.${k}`, x[k], y[k]);
      });
  }
  if (parts.includes('reconstructionInput')) {
    values('reconstructionInput', 'reconstructionInput.max', num(a.reconstructionInput.max), num(b.reconstructionInput.max));
    values(
      'reconstructionInput',
      'reconstructionInput.zeroValue',
      num(a.reconstructionInput.zeroValue),
      num(b.reconstructionInput.zeroValue),
    );
  }
  if (parts.includes('thresholds')) {
    const { onlyA, onlyB } = unmatched(a.thresholds, b.thresholds, thresholdKey);
    if (onlyA.length === 1 && onlyB.length === 1) {
      // One entry changed: say which of its values.
      const [x, y] = [onlyA[0], onlyB[0]];
      const said: string[] = [];
      if (x.lossThreshold !== y.lossThreshold) said.push(`lossThreshold ${x.lossThreshold} in ${la}, ${y.lossThreshold} in ${lb}`);
      if (patternKey(x.pattern) !== patternKey(y.pattern))
        said.push(`pattern ${describePattern(x.pattern)} in ${la}, ${describePattern(y.pattern)} in ${lb}`);
      if (x.filterThreshold !== y.filterThreshold)
        said.push(`filterThreshold ${x.filterThreshold} in ${la}, ${y.filterThreshold} in ${lb}`);
      add('thresholds', 'thresholds', said.join('; '));
    } else {
      const entry = (t: ThresholdEntry) =>
        `{lossThreshold ${t.lossThreshold}, ${describePattern(t.pattern)}, filterThreshold ${t.filterThreshold}}`;
      only('thresholds', 'thresholds', onlyA.map(entry), onlyB.map(entry));
    }
  }
  if (parts.includes('combine')) values('combine', 'combine.minLayers', num(a.combine.minLayers), num(b.combine.minLayers));
  if (parts.includes('flagging')) {
    const { onlyA, onlyB } = unmatched(a.flagging.patterns, b.flagging.patterns, patternKey);
    only('flagging', 'flagging.patterns', onlyA.map(describePattern), onlyB.map(describePattern));
    values('flagging', 'flagging.threshold', num(a.flagging.threshold), num(b.flagging.threshold));
  }
  if (parts.includes('filters')) {
    const fa = a.filters;
    const fb = b.filters;
    const layers = [...new Set([...Object.keys(fa.minEntries), ...Object.keys(fb.minEntries)])];
    for (const l of layers) {
      const x = fa.minEntries[l];
      const y = fb.minEntries[l];
      values('filters', `filters.minEntries.${l}`, x === undefined ? 'no cut' : num(x), y === undefined ? 'no cut' : num(y));
    }
    const { onlyA, onlyB } = unmatched(fa.omsBooleans, fb.omsBooleans, (s) => s);
    only('filters', 'filters.omsBooleans', onlyA, onlyB);
    values('filters', 'filters.minPileup', num(fa.minPileup), num(fb.minPileup));
    if (fa.hlt === null || fb.hlt === null) {
      const cut = (h: typeof fa.hlt) => (h === null ? 'none (no cut)' : `${h.triggerGlob} > ${h.minRate} Hz`);
      values('filters', 'filters.hlt', cut(fa.hlt), cut(fb.hlt));
    } else {
      values('filters', 'filters.hlt.triggerGlob', fa.hlt.triggerGlob, fb.hlt.triggerGlob);
      values('filters', 'filters.hlt.minRate', num(fa.hlt.minRate), num(fb.hlt.minRate));
    }
  }
  return out;
}

/** Whether two presets mean the same in the given parts (all by default). */
export function samePresetMeaning(a: ModelPreset, b: ModelPreset, parts?: readonly PresetPart[]): boolean {
  return presetDifferences(a, b, parts ? { parts } : {}).length === 0;
}
