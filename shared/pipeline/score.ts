/** How anomalous an LS looks, for sorting in the UI: size of the final map and the largest loss. */
export interface AnomalyScore {
  /** Bins set in the final (combined, masked) binary map. */
  finalBins: number;
  /** Largest loss over all layers (null when every layer's map was empty). */
  maxLoss: number | null;
  /** Largest loss per layer name (null for an empty map). */
  maxLossPerLayer: Record<string, number | null>;
}

export function anomalyScore(finalBins: number, layerNames: string[], maxima: number[]): AnomalyScore {
  const perLayer: Record<string, number | null> = {};
  let max = NaN;
  layerNames.forEach((name, i) => {
    const m = maxima[i];
    perLayer[name] = Number.isFinite(m) ? m : null;
    if (Number.isFinite(m) && !(m <= max)) max = m;
  });
  return { finalBins, maxLoss: Number.isFinite(max) ? max : null, maxLossPerLayer: perLayer };
}
