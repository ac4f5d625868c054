/**
 * Geometry of the barrel-pixel occupancy maps `clusters_per_SignedModuleCoord_per_SignedLadderCoord`.
 *
 * A map is rows × columns with row 0 at the bottom (origin lower, as the DQM GUI draws it):
 * - columns run along z: 8 bins per module (one per ROC column), modules −4…+4, where "module 0"
 *   is the empty gap between the two half-barrels (columns 32:40 for 72 columns);
 * - rows run along φ: 2 bins per ladder (the two ROC rows of a module), signed ladders −L…+L, where
 *   "ladder 0" is the empty gap between the half-shells (e.g. BPix2 rows 28:30 of 58).
 * So every bin is one ROC. Axis values are in module / ladder units: column c is centred at
 * x = −M − 0.5 + (c + 0.5)/8, row r at y = −L − 0.5 + (r + 0.5)/2.
 *
 * Pipeline stages after preprocessing drop the cross (the "cropped" maps); they are drawn in the same
 * coordinates as the raw map with the cross left empty, so zoom can be linked across stages.
 */

export const BINS_PER_MODULE = 8;
export const BINS_PER_LADDER = 2;

export interface CrossSpec {
  /** Rows [start, stop) removed by preprocessing. */
  rows: [number, number];
  /** Columns [start, stop) removed by preprocessing. */
  columns: [number, number];
}

export interface LayerGeometry {
  /** Layer name, e.g. "BPix3". */
  name: string;
  /** Full (raw) map shape. */
  rows: number;
  cols: number;
  /** Outermost signed ladder (BPix2: 14) and module (4). */
  maxLadder: number;
  maxModule: number;
  cross: CrossSpec;
  /** Shape after the cross is removed. */
  croppedRows: number;
  croppedCols: number;
}

export class GeometryError extends Error {
  override name = 'GeometryError';
}

/**
 * Geometry of one layer's map from its shape and centre cross. The shape must have an odd number of
 * ladder positions (2 rows each) and of module positions (8 columns each), as every barrel layer does.
 */
export function layerGeometry(name: string, shape: readonly [number, number], cross: CrossSpec): LayerGeometry {
  const [rows, cols] = shape;
  const ladderPositions = rows / BINS_PER_LADDER;
  const modulePositions = cols / BINS_PER_MODULE;
  if (!Number.isInteger(ladderPositions) || ladderPositions % 2 !== 1) {
    throw new GeometryError(`${name}: ${rows} rows is not an odd number of ladders × ${BINS_PER_LADDER} rows (expected e.g. 58 for BPix2)`);
  }
  if (!Number.isInteger(modulePositions) || modulePositions % 2 !== 1) {
    throw new GeometryError(`${name}: ${cols} columns is not an odd number of modules × ${BINS_PER_MODULE} columns (expected 72)`);
  }
  const [r0, r1] = cross.rows;
  const [c0, c1] = cross.columns;
  if (!(0 <= r0 && r0 <= r1 && r1 <= rows) || !(0 <= c0 && c0 <= c1 && c1 <= cols)) {
    throw new GeometryError(`${name}: cross rows ${r0}:${r1} / columns ${c0}:${c1} do not fit a ${rows}×${cols} map`);
  }
  return {
    name,
    rows,
    cols,
    maxLadder: (ladderPositions - 1) / 2,
    maxModule: (modulePositions - 1) / 2,
    cross: { rows: [r0, r1], columns: [c0, c1] },
    croppedRows: rows - (r1 - r0),
    croppedCols: cols - (c1 - c0),
  };
}

/** Signed ladder of a full-map row (0 is the empty gap). */
export function ladderOfRow(g: LayerGeometry, row: number): number {
  return Math.floor(row / BINS_PER_LADDER) - g.maxLadder;
}

/** Signed module of a full-map column (0 is the empty gap). */
export function moduleOfColumn(g: LayerGeometry, col: number): number {
  return Math.floor(col / BINS_PER_MODULE) - g.maxModule;
}

export interface RocPosition {
  /** 0…7: ROC column inside the module, counted along +z. */
  z: number;
  /** 0…1: ROC row inside the module, counted along +φ. */
  phi: number;
  /** 0…15 = 8·phi + z: a position index inside the module, not the hardware ROC id. */
  index: number;
}

export function rocOf(row: number, col: number): RocPosition {
  const z = ((col % BINS_PER_MODULE) + BINS_PER_MODULE) % BINS_PER_MODULE;
  const phi = ((row % BINS_PER_LADDER) + BINS_PER_LADDER) % BINS_PER_LADDER;
  return { z, phi, index: BINS_PER_LADDER === 2 ? phi * BINS_PER_MODULE + z : z };
}

/** Axis value (module units) at the centre of a full-map column. */
export function columnCentre(g: LayerGeometry, col: number): number {
  return -g.maxModule - 0.5 + (col + 0.5) / BINS_PER_MODULE;
}

/** Axis value (ladder units) at the centre of a full-map row. */
export function rowCentre(g: LayerGeometry, row: number): number {
  return -g.maxLadder - 0.5 + (row + 0.5) / BINS_PER_LADDER;
}

/** Full-map column whose bin contains the axis value x (clamped to the map). */
export function columnAt(g: LayerGeometry, x: number): number {
  return clampIndex(Math.floor((x + g.maxModule + 0.5) * BINS_PER_MODULE), g.cols);
}

/** Full-map row whose bin contains the axis value y (clamped to the map). */
export function rowAt(g: LayerGeometry, y: number): number {
  return clampIndex(Math.floor((y + g.maxLadder + 0.5) * BINS_PER_LADDER), g.rows);
}

function clampIndex(i: number, n: number): number {
  return Math.max(0, Math.min(n - 1, i));
}

function isCrossRow(g: LayerGeometry, row: number): boolean {
  return row >= g.cross.rows[0] && row < g.cross.rows[1];
}

function isCrossColumn(g: LayerGeometry, col: number): boolean {
  return col >= g.cross.columns[0] && col < g.cross.columns[1];
}

/** Full-map row of a row of the cropped (cross removed) map. */
export function fullRowOfCropped(g: LayerGeometry, croppedRow: number): number {
  return croppedRow < g.cross.rows[0] ? croppedRow : croppedRow + (g.cross.rows[1] - g.cross.rows[0]);
}

/** Full-map column of a column of the cropped map. */
export function fullColumnOfCropped(g: LayerGeometry, croppedCol: number): number {
  return croppedCol < g.cross.columns[0] ? croppedCol : croppedCol + (g.cross.columns[1] - g.cross.columns[0]);
}

/** Row of the cropped map for a full-map row, or −1 inside the cross. */
export function croppedRowOfFull(g: LayerGeometry, row: number): number {
  if (isCrossRow(g, row)) return -1;
  return row < g.cross.rows[0] ? row : row - (g.cross.rows[1] - g.cross.rows[0]);
}

/** Column of the cropped map for a full-map column, or −1 inside the cross. */
export function croppedColumnOfFull(g: LayerGeometry, col: number): number {
  if (isCrossColumn(g, col)) return -1;
  return col < g.cross.columns[0] ? col : col - (g.cross.columns[1] - g.cross.columns[0]);
}

export interface BinDescription {
  layer: string;
  row: number;
  col: number;
  ladder: number;
  module: number;
  roc: RocPosition;
  /** True inside the empty centre cross. */
  inCross: boolean;
}

export function describeBin(g: LayerGeometry, row: number, col: number): BinDescription {
  return {
    layer: g.name,
    row,
    col,
    ladder: ladderOfRow(g, row),
    module: moduleOfColumn(g, col),
    roc: rocOf(row, col),
    inCross: isCrossRow(g, row) || isCrossColumn(g, col),
  };
}

/** "+3", "−2", "0" — signed as the DQM axis labels are (with a real minus sign). */
export function signed(n: number): string {
  if (n > 0) return `+${n}`;
  if (n < 0) return `−${-n}`;
  return '0';
}

/** One line for hover and the Why panel: "BPix3 ladder −7 · module +2 · ROC 11". */
export function binLabel(b: BinDescription): string {
  if (b.inCross) return `${b.layer} centre gap (row ${b.row}, column ${b.col})`;
  return `${b.layer} ladder ${signed(b.ladder)} · module ${signed(b.module)} · ROC ${b.roc.index}`;
}
