import type { ModelPreset } from './model-preset';

const ME_PREFIX = 'PixelPhase1/Phase1_MechanicalView/PXBarrel/clusters_per_SignedModuleCoord_per_SignedLadderCoord_PXLayer_';

/** Rows of the empty centre cross per barrel layer (columns are 32:40 for all). */
export const BARREL_CROSS_ROWS: Record<string, [number, number]> = { BPix1: [12, 14], BPix2: [28, 30], BPix3: [44, 46], BPix4: [64, 66] };
export const BARREL_SHAPES: Record<string, [number, number]> = { BPix1: [26, 72], BPix2: [58, 72], BPix3: [90, 72], BPix4: [130, 72] };

/**
 * The "pixel barrel" preset: the values of the production PixelNMF model (BPix2–4). Model files are
 * expected as model/nmf_<layer>.onnx, model/local_norm_<layer>.npy, model/loss_mask_<layer>.npy.
 */
export function pixelBarrelPreset(
  layers: string[] = ['BPix2', 'BPix3', 'BPix4'],
  files?: (layer: string) => { onnx: string; localNorm: string; lossMask: string },
): ModelPreset {
  const minEntries: Record<string, number> = { BPix1: 5e5, BPix2: 2.5e5, BPix3: 5e5 / 3, BPix4: 1.25e5 };
  return {
    kind: 'dism-studio.pixel-nmf-preset',
    version: 1,
    name: 'pixel barrel',
    description: 'PixelNMF on the barrel cluster-occupancy maps (clusters_per_SignedModuleCoord_per_SignedLadderCoord)',
    layers: layers.map((name) => ({
      name,
      monitoringElement: `${ME_PREFIX}${name.replace('BPix', '')}`,
      shape: BARREL_SHAPES[name],
      cross: { rows: BARREL_CROSS_ROWS[name], columns: [32, 40] },
      ...(files
        ? files(name)
        : { onnx: `model/nmf_${name}.onnx`, localNorm: `model/local_norm_${name}.npy`, lossMask: `model/loss_mask_${name}.npy` }),
    })),
    reconstructionInput: { max: 5, zeroValue: 1 },
    thresholds: [{ lossThreshold: 0.04, pattern: { ones: [2, 16] }, filterThreshold: 1.5 }],
    combine: { minLayers: 2 },
    flagging: { patterns: [{ ones: [1, 8] }, { ones: [2, 4] }], threshold: 1e-3 },
    filters: {
      minEntries: Object.fromEntries(layers.map((l) => [l, minEntries[l]])),
      omsBooleans: ['beams_stable', 'cms_active', 'bpix_ready', 'fpix_ready', 'tibtid_ready', 'tob_ready', 'tecp_ready', 'tecm_ready'],
      minPileup: 25,
      hlt: { triggerGlob: 'HLT_ZeroBias_v*', minRate: 5 },
    },
  };
}
