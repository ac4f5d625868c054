import { BARREL_CROSS_ROWS, BARREL_SHAPES } from '@/shared/preset/pixel-barrel';
import { Rng } from './rng';

/**
 * Physically shaped synthetic cluster-occupancy maps of the barrel layers (rows: signed ladder
 * coordinate, 2 bins per ladder; columns: signed module coordinate, 8 bins per module): the empty
 * centre cross, occupancy falling with |z| (flatter at high pileup), alternating inner/outer
 * ladders, a fixed per-module efficiency spread, permanently dead modules and Poisson noise whose
 * scale follows pileup.
 */

export const DEMO_LAYERS = ['BPix2', 'BPix3', 'BPix4'] as const;
export type DemoLayer = (typeof DEMO_LAYERS)[number];

/** Mean clusters per bin at pileup 50 in the centre of the layer. */
const LAYER_SCALE: Record<DemoLayer, number> = { BPix2: 1600, BPix3: 1000, BPix4: 620 };
const CROSS_COLS: [number, number] = [32, 40];

/** A rectangle of bins in raw coordinates: rows [r0, r1), columns [c0, c1). */
export interface Region {
  r0: number;
  r1: number;
  c0: number;
  c1: number;
}

export interface LayerTruth {
  rows: number;
  cols: number;
  /** Mean occupancy shape at pileup 50 (0 on the cross and dead modules), before the pileup-dependent z slope. */
  efficiency: Float64Array;
  dead: Region[];
}

/** Rows of the layer that hold ladders (the cross rows removed), as [start, stop) in raw coordinates. */
function ladderRows(layer: DemoLayer): number[] {
  const [ny] = BARREL_SHAPES[layer];
  const [a, b] = BARREL_CROSS_ROWS[layer];
  return Array.from({ length: ny }, (_, r) => r).filter((r) => r < a || r >= b);
}

/** Raw row range covering the fraction [f0, f1) of the layer's ladders (whole ladders of 2 rows). */
export function rowsAt(layer: DemoLayer, f0: number, f1: number): [number, number] {
  const rows = ladderRows(layer);
  const ladders = rows.length / 2;
  const l0 = Math.floor(f0 * ladders);
  const l1 = Math.max(l0 + 1, Math.floor(f1 * ladders));
  return [rows[l0 * 2], rows[l1 * 2 - 1] + 1];
}

/** Raw column range of modules [m0, m1) counted from the −z end (4 modules per side, 8 columns each). */
export function moduleCols(m0: number, m1: number): [number, number] {
  const col = (m: number) => (m < 4 ? m * 8 : CROSS_COLS[1] + (m - 4) * 8);
  return [col(m0), col(m1 - 1) + 8];
}

export function makeLayerTruth(layer: DemoLayer, rng: Rng, deadModules: number): LayerTruth {
  const [rows, cols] = BARREL_SHAPES[layer];
  const [cr0, cr1] = BARREL_CROSS_ROWS[layer];
  const eff = new Float64Array(rows * cols);
  const kept = ladderRows(layer);
  // per-module efficiency spread (2 rows × 8 columns share one factor)
  const moduleFactor = new Map<string, number>();
  for (let r = 0; r < rows; r++) {
    if (r >= cr0 && r < cr1) continue;
    const ladder = Math.floor(kept.indexOf(r) / 2);
    const inner = ladder % 2 === 0 ? 1 : 0.78;
    for (let c = 0; c < cols; c++) {
      if (c >= CROSS_COLS[0] && c < CROSS_COLS[1]) continue;
      const key = `${ladder}:${Math.floor(c / 8)}`;
      if (!moduleFactor.has(key)) moduleFactor.set(key, 1 + 0.06 * rng.normal());
      eff[r * cols + c] = LAYER_SCALE[layer] * inner * moduleFactor.get(key)!;
    }
  }
  const dead: Region[] = [];
  for (let k = 0; k < deadModules; k++) {
    const ladder = rng.int(0, kept.length / 2);
    const m = rng.int(0, 8);
    const [c0, c1] = moduleCols(m, m + 1);
    const r0 = kept[ladder * 2];
    const region = { r0, r1: r0 + 2, c0, c1 };
    dead.push(region);
    fillRegion(eff, cols, region, 0);
  }
  return { rows, cols, efficiency: eff, dead };
}

function fillRegion(map: Float64Array, cols: number, g: Region, value: number, multiply = false): void {
  for (let r = g.r0; r < g.r1; r++) for (let c = g.c0; c < g.c1; c++) map[r * cols + c] = multiply ? map[r * cols + c] * value : value;
}

/** |z| in [0, 1] of a column (signed module coordinate, 0 at the centre). */
function absZ(c: number, cols: number): number {
  return Math.abs(c + 0.5 - cols / 2) / (cols / 2);
}

export interface LsConditions {
  pileup: number;
  /** Overall scale of the counts (1 normally; small for low-statistics LS). */
  statistics: number;
  /** Per-LS changes of the mean map (outages → 0, hot regions → ×factor). */
  edits: Array<{ region: Region; factor: number }>;
}

/** Draw one LS's raw counts into out (rows × cols int32). */
export function drawMap(truth: LayerTruth, cond: LsConditions, rng: Rng, out: Int32Array, off: number): void {
  const { rows, cols, efficiency } = truth;
  const mean = new Float64Array(rows * cols);
  // occupancy falls with |z|; the slope flattens as pileup grows
  const slope = 0.55 - 0.004 * (cond.pileup - 50);
  const zf = Float64Array.from({ length: cols }, (_, c) => 1.25 - slope * absZ(c, cols));
  const scale = (cond.pileup / 50) * cond.statistics;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) mean[r * cols + c] = efficiency[r * cols + c] * zf[c] * scale;
  for (const e of cond.edits) fillRegion(mean, cols, e.region, e.factor, true);
  for (let k = 0; k < mean.length; k++) out[off + k] = rng.poisson(mean[k]);
}
