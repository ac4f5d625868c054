import {
  BINS_PER_MODULE,
  columnAt,
  equivalentLadder,
  ladderOfRow,
  moduleOfColumn,
  rowAt,
  rowsOfLadder,
  signed,
  type LayerGeometry,
} from '@/shared/pixel-geometry';

/** Synthetic anomalies a physicist can add to one LS to see whether the model would catch them. */
export type WhatIfKind = 'dead-module' | 'dead-roc-row' | 'hot-region';

export const WHATIF_LABEL: Record<WhatIfKind, string> = {
  'dead-module': 'Dead module',
  'dead-roc-row': 'Dead ROC row',
  'hot-region': 'Hot region',
};

/** A position picked on a map: a module and a ladder of the layer it was picked on. */
export interface PickedPosition {
  layer: string;
  ladder: number;
  module: number;
  /** 0 or 1: which ROC row of the module (φ) was clicked. */
  rocRow: number;
}

export interface WhatIfSpec {
  kind: WhatIfKind;
  position: PickedPosition;
  layers: string[];
  /** Hot region: multiply the counts by this. */
  factor: number;
  /** Size from the picked module on: ladders (dead modules, hot region) × modules (all kinds). */
  ladders: number;
  modules: number;
}

/** A rectangle of raw-map bins (half-open) with what to do to them. */
export interface InjectionRegion {
  layer: string;
  row0: number;
  row1: number;
  col0: number;
  col1: number;
  /** Multiply the raw counts by this (0 = dead). */
  factor: number;
}

export class PickError extends Error {
  override name = 'PickError';
}

/** The module/ladder under a click (axis coordinates of that layer's maps). */
export function pickAt(g: LayerGeometry, x: number, y: number): PickedPosition {
  const row = rowAt(g, y);
  const col = columnAt(g, x);
  const ladder = ladderOfRow(g, row);
  const module = moduleOfColumn(g, col);
  if (ladder === 0 || module === 0)
    throw new PickError('That is the empty centre gap between the half-barrels: pick a position on a module.');
  return { layer: g.name, ladder, module, rocRow: row % 2 };
}

/**
 * Raw-map rectangles per chosen layer; the ladder is carried to each layer at the same φ. Dead
 * modules and hot regions cover `ladders × modules` starting at the picked module (towards +φ, +z,
 * shifted back where the map ends); a dead ROC row is the picked φ row of the ROCs of `modules` modules.
 */
export function injectionRegions(spec: WhatIfSpec, geometries: LayerGeometry[]): InjectionRegion[] {
  const source = geometries.find((g) => g.name === spec.position.layer);
  if (!source) throw new PickError(`The picked layer ${spec.position.layer} is not in the model`);
  return geometries
    .filter((g) => spec.layers.includes(g.name))
    .map((g) => {
      const ladder = equivalentLadder(source, g, spec.position.ladder);
      const [r0] = rowsOfLadder(g, ladder);
      const modules = Math.max(1, Math.min(spec.modules, 2 * g.maxModule + 1));
      const c0 = Math.min((spec.position.module + g.maxModule) * BINS_PER_MODULE, g.cols - modules * BINS_PER_MODULE);
      const col1 = c0 + modules * BINS_PER_MODULE;
      if (spec.kind === 'dead-roc-row')
        return { layer: g.name, row0: r0 + spec.position.rocRow, row1: r0 + spec.position.rocRow + 1, col0: c0, col1, factor: 0 };
      const rows = Math.max(1, Math.min(spec.ladders, 2 * g.maxLadder + 1)) * 2;
      const row0 = Math.min(r0, g.rows - rows);
      return { layer: g.name, row0, row1: row0 + rows, col0: c0, col1, factor: spec.kind === 'dead-module' ? 0 : spec.factor };
    });
}

export function describeWhatIf(spec: WhatIfSpec): string {
  const where = `ladder ${signed(spec.position.ladder)} (${spec.position.layer}) · module ${signed(spec.position.module)}`;
  const size = `${spec.ladders} ladder${spec.ladders === 1 ? '' : 's'} × ${spec.modules} module${spec.modules === 1 ? '' : 's'}`;
  const what =
    spec.kind === 'hot-region'
      ? `hot region ×${spec.factor} (${size})`
      : spec.kind === 'dead-roc-row'
        ? `dead ROC row ${spec.position.rocRow + 1} of 2 (${spec.modules} module${spec.modules === 1 ? '' : 's'})`
        : spec.ladders === 1 && spec.modules === 1
          ? 'dead module'
          : `dead modules (${size})`;
  return `${what} at ${where} in ${spec.layers.join(', ')}`;
}

/**
 * A position typed into the What-if panel (keyboard alternative to clicking a map): the position,
 * null while a field is still empty, or what is wrong in words.
 */
export function positionFromFields(
  g: LayerGeometry,
  ladderText: string,
  moduleText: string,
  rocRow: number,
): PickedPosition | null | string {
  if (!ladderText.trim() || !moduleText.trim()) return null;
  const check = (what: 'Ladder' | 'Module', text: string, max: number): number | string => {
    const n = Number(text.trim().replace(/^\u2212/, '-'));
    const range = `${signed(-max)}…${signed(-1)} or ${signed(1)}…${signed(max)}`;
    if (!Number.isInteger(n)) return `${what} must be a whole number from ${range}.`;
    if (n === 0) return `${what} 0 is the empty centre gap between the half-barrels: choose ${range}.`;
    if (Math.abs(n) > max)
      return `${g.name} has ${what.toLowerCase()}s ${signed(-max)}…${signed(-1)} and ${signed(1)}…${signed(max)}: ${what.toLowerCase()} ${signed(n)} is off the layer.`;
    return n;
  };
  const ladder = check('Ladder', ladderText, g.maxLadder);
  if (typeof ladder === 'string') return ladder;
  const module = check('Module', moduleText, g.maxModule);
  if (typeof module === 'string') return module;
  return { layer: g.name, ladder, module, rocRow };
}
