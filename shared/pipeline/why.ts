import type { ModelPreset, PatternSpec } from '@/shared/preset/model-preset';
import { compilePattern, markMatches, MatchScratch } from './pattern-match';
import { fullColumnOfCropped, fullRowOfCropped, ladderOfRow, moduleOfColumn, signed, type LayerGeometry } from '@/shared/pixel-geometry';
import type { LumisectionStageMaps, MarkedRegion } from '@/shared/plot/panels';

/**
 * Why an LS is (not) flagged, from its stage maps: which layers' clustered loss maps have clusters
 * and where, which flagging pattern matched the final map and where, and which filters failed.
 */

export interface Region {
  /** Full-map bins, half-open, in the geometry the region was found in. */
  row0: number;
  row1: number;
  col0: number;
  col1: number;
  bins: number;
  /** "ladders +3…+5 · module −2" */
  where: string;
}

export interface LayerWhy {
  name: string;
  binaryBins: number;
  clusters: Region[];
}

export interface PatternWhy {
  label: string;
  fired: boolean;
  regions: Region[];
}

export interface WhyExplanation {
  layers: LayerWhy[];
  /** Bins where at least `minLayers` layers agree, before the loss mask. */
  agreeingBins: number;
  finalBins: number;
  patterns: PatternWhy[];
  /** Rectangles for the final map: where a flagging pattern fired. */
  marks: MarkedRegion[];
}

function range(lo: number, hi: number, noun: string): string {
  return lo === hi ? `${noun} ${signed(lo)}` : `${noun}s ${signed(lo)}…${signed(hi)}`;
}

export function describeRegion(g: LayerGeometry, r: Pick<Region, 'row0' | 'row1' | 'col0' | 'col1'>): string {
  const l0 = ladderOfRow(g, r.row0);
  const l1 = ladderOfRow(g, r.row1 - 1);
  const m0 = moduleOfColumn(g, r.col0);
  const m1 = moduleOfColumn(g, r.col1 - 1);
  return `${range(l0, l1, 'ladder')} · ${range(m0, m1, 'module')}`;
}

/** Connected (8-neighbour) groups of non-zero bins of a cropped map, as full-map bounding boxes, largest first. */
export function clustersOf(g: LayerGeometry, cropped: ArrayLike<number>): Region[] {
  const h = g.croppedRows;
  const w = g.croppedCols;
  const seen = new Uint8Array(h * w);
  const out: Region[] = [];
  const stack: number[] = [];
  for (let k = 0; k < h * w; k++) {
    if (!(cropped[k] > 0) || seen[k]) continue;
    let r0 = Infinity;
    let r1 = -1;
    let c0 = Infinity;
    let c1 = -1;
    let bins = 0;
    stack.push(k);
    seen[k] = 1;
    while (stack.length) {
      const q = stack.pop()!;
      const r = Math.floor(q / w);
      const c = q % w;
      bins++;
      r0 = Math.min(r0, r);
      r1 = Math.max(r1, r);
      c0 = Math.min(c0, c);
      c1 = Math.max(c1, c);
      for (let dr = -1; dr <= 1; dr++) {
        for (let dc = -1; dc <= 1; dc++) {
          const rr = r + dr;
          const cc = c + dc;
          if (rr < 0 || rr >= h || cc < 0 || cc >= w) continue;
          const n = rr * w + cc;
          if (!seen[n] && cropped[n] > 0) {
            seen[n] = 1;
            stack.push(n);
          }
        }
      }
    }
    const box = {
      row0: fullRowOfCropped(g, r0),
      row1: fullRowOfCropped(g, r1) + 1,
      col0: fullColumnOfCropped(g, c0),
      col1: fullColumnOfCropped(g, c1) + 1,
    };
    out.push({ ...box, bins, where: describeRegion(g, box) });
  }
  return out.sort((a, b) => b.bins - a.bins);
}

export function patternLabel(p: PatternSpec): string {
  if ('ones' in p) return `${p.ones[0]}×${p.ones[1]} ones`;
  return `${p.length}×${p[0]?.length ?? 0} pattern`;
}

export function explainLumisection(
  maps: LumisectionStageMaps,
  preset: ModelPreset,
  geometries: LayerGeometry[],
  combinedGeometry: LayerGeometry,
): WhyExplanation {
  const layers = maps.layers.map((l, i) => {
    let bins = 0;
    for (let k = 0; k < l.lossBinary.length; k++) if (l.lossBinary[k] > 0) bins++;
    return { name: l.name, binaryBins: bins, clusters: clustersOf(geometries[i], l.lossBinary) };
  });
  let agreeing = 0;
  let finalBins = 0;
  for (let k = 0; k < maps.combined.length; k++) {
    if (maps.combined[k] >= preset.combine.minLayers) agreeing++;
    if (maps.final[k] > 0) finalBins++;
  }
  const g = combinedGeometry;
  const scratch = new MatchScratch(g.croppedRows, g.croppedCols);
  const patterns = preset.flagging.patterns.map((spec) => {
    const matched = new Uint8Array(g.croppedRows * g.croppedCols);
    if (finalBins > 0)
      markMatches(maps.final, 0, g.croppedRows, g.croppedCols, compilePattern(spec), preset.flagging.threshold, matched, 0, scratch);
    // The final map is in the first layer's binning: say so, its ladders are that layer's.
    const regions = clustersOf(g, matched).map((r) => ({ ...r, where: `${g.name} ${r.where}` }));
    return { label: patternLabel(spec), fired: regions.length > 0, regions };
  });
  const marks: MarkedRegion[] = patterns.flatMap((p) =>
    p.regions.map((r) => ({ row0: r.row0, row1: r.row1, col0: r.col0, col1: r.col1, label: p.label })),
  );
  return { layers, agreeingBins: agreeing, finalBins, patterns, marks };
}

/** What the verdict of an LS depends on (a per-LS result of the preview). */
export interface VerdictInput {
  flagged: boolean;
  flaggedBeforeFilter: boolean;
  passedFilter: boolean;
  reasons: ReadonlyArray<{ code: string; message: string }>;
}

export type VerdictKind = 'flagged' | 'cleared' | 'filtered' | 'clean';

/** The one-line verdict of an LS, as the Why panel and the report state it. */
export function verdictOf(item: VerdictInput): { kind: VerdictKind; text: string } {
  if (item.flagged) return { kind: 'flagged', text: 'Flagged' };
  if (item.flaggedBeforeFilter) return { kind: 'cleared', text: 'Flagged by the model, cleared by the filter' };
  if (!item.passedFilter) return { kind: 'filtered', text: 'Not flagged (and filtered)' };
  return { kind: 'clean', text: 'Not flagged' };
}

export interface WhySection {
  title: string;
  lines: string[];
}

/** The Why panel as text (for the PDF report): verdict, filters, layers with clusters, combined map, patterns. */
export function whyText(item: VerdictInput, why: WhyExplanation | null, minLayers: number): { verdict: string; sections: WhySection[] } {
  const sections: WhySection[] = [
    { title: 'Filters', lines: item.passedFilter ? ['All filters passed.'] : item.reasons.map((r) => r.message) },
  ];
  if (!why) {
    sections.push({
      title: 'Stage maps',
      lines: ['The stage maps of this lumisection were not kept, so where the loss clusters are is not known.'],
    });
    return { verdict: verdictOf(item).text, sections };
  }
  sections.push({
    title: 'Layers with loss clusters',
    lines: why.layers.flatMap((l) =>
      l.binaryBins === 0
        ? [`${l.name}: no clusters`]
        : [
            `${l.name}: ${l.binaryBins} bins in ${l.clusters.length} cluster${l.clusters.length === 1 ? '' : 's'}`,
            ...l.clusters.slice(0, 3).map((c) => `    ${c.where} (${c.bins} bins)`),
            ...(l.clusters.length > 3 ? [`    …and ${l.clusters.length - 3} more`] : []),
          ],
    ),
  });
  sections.push({
    title: 'Combined',
    lines: [`${why.agreeingBins} bins with clusters in ≥ ${minLayers} layers; ${why.finalBins} left in the final map after the loss mask.`],
  });
  sections.push({
    title: 'Flagging patterns',
    lines: why.patterns.flatMap((p) => [
      `${p.label}: ${p.fired ? 'fired' : 'no match'}`,
      ...p.regions.slice(0, 3).map((r) => `    at ${r.where}`),
    ]),
  });
  return { verdict: verdictOf(item).text, sections };
}
