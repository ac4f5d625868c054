import type { NdArray } from '@/shared/pipeline/ndarray';
import { cropGeometry } from '@/shared/pipeline/model';
import { areaPlan, rebinKeepClip } from '@/shared/pipeline/rebin';
import type { PresetLayer } from '@/shared/preset/model-preset';

/** The centred cross removed from a rows×cols map to give the NMF's xshape, as [start, stop) ranges. */
export function crossFor([rows, cols]: [number, number], [xr, xc]: [number, number]): PresetLayer['cross'] | null {
  const dr = rows - xr;
  const dc = cols - xc;
  if (dr < 0 || dc < 0 || dr % 2 || dc % 2 || rows % 2 || cols % 2) return null;
  return { rows: [rows / 2 - dr / 2, rows / 2 + dr / 2], columns: [cols / 2 - dc / 2, cols / 2 + dc / 2] };
}

/**
 * The original PixelNMF keeps only the combined loss mask C (first layer's cropped shape; per bin,
 * how many layers are usually zero there), while the preset holds one boolean mask per layer.
 * Split C into per-layer masks whose rebinned sum gives C back: layer j is "usually zero" where
 * C ≥ j+1 (nearest first-layer bin). Exact for the first layer; bins where rebinning cannot
 * reproduce C are counted and reported.
 */
export function splitCombinedLossMask(layers: PresetLayer[], combined: NdArray | null): { masks: Uint8Array[]; warnings: string[] } {
  const geoms = layers.map(cropGeometry);
  const full = geoms.map((g) => new Uint8Array(g.rows * g.cols).fill(1));
  if (!combined) return { masks: full, warnings: ['The PixelNMF has no loss mask; the preview masks nothing.'] };
  const [r0, c0] = [geoms[0].outRows, geoms[0].outCols];
  if (combined.shape.length !== 2 || combined.shape[0] !== r0 || combined.shape[1] !== c0) {
    return {
      masks: full,
      warnings: [`The combined loss mask has shape (${combined.shape.join(', ')}), expected (${r0}, ${c0}); the preview masks nothing.`],
    };
  }
  const C = combined.data;
  const sum = new Float64Array(r0 * c0);
  geoms.forEach((g, j) => {
    const usuallyZero = new Float64Array(g.outRows * g.outCols);
    for (let y = 0; y < g.outRows; y++) {
      const Y = Math.min(r0 - 1, Math.floor(((y + 0.5) * r0) / g.outRows));
      for (let x = 0; x < g.outCols; x++) {
        const X = Math.min(c0 - 1, Math.floor(((x + 0.5) * c0) / g.outCols));
        if (C[Y * c0 + X] >= j + 1) {
          usuallyZero[y * g.outCols + x] = 1;
          full[j][g.rowIdx[y] * g.cols + g.colIdx[x]] = 0;
        }
      }
    }
    const rebinned = rebinKeepClip(usuallyZero, areaPlan(g.outRows, g.outCols, r0, c0));
    for (let i = 0; i < sum.length; i++) sum[i] += rebinned[i];
  });
  let differ = 0;
  for (let i = 0; i < sum.length; i++) if (sum[i] !== C[i]) differ++;
  const warnings = ['The PixelNMF keeps only the combined loss mask; per-layer masks were reconstructed from it.'];
  if (differ)
    warnings.push(
      `${differ} of ${sum.length} bins of the reconstructed combined loss mask differ from the joblib's (rebinning between layers cannot reproduce them exactly); flags near those bins may differ from the original.`,
    );
  return { masks: full, warnings };
}
