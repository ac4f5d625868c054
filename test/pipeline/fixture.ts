import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';
import type { LoadedPreset } from '@/backend/pipeline/preset-io';

export const REFERENCE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/pixelnmf-reference');
export const LAYERS = ['BPix2', 'BPix3', 'BPix4'];

/** The "pixel barrel" preset pointing at the reference fixture's model files. */
export function referencePreset(): LoadedPreset {
  return { file: path.join(REFERENCE_DIR, 'preset.json'), dir: REFERENCE_DIR, preset: pixelBarrelPreset(LAYERS) };
}

export const referenceData = {
  layers: Object.fromEntries(LAYERS.map((l) => [l, `data/raw_${l}.npy`])),
  runs: 'data/run_number.npy',
  lumis: 'data/ls_number.npy',
  oms: 'data/omsdata_Run2025F-v1.json',
  hlt: 'data/hltrate_Run2025F-v1.json',
  baseDir: REFERENCE_DIR,
};

export function parquetFile(layer: string): string {
  return path.join(
    REFERENCE_DIR,
    'parquet',
    `ZeroBias-Run2025F-PromptReco-v1-DQMIO-PixelPhase1-Phase1_MechanicalView-PXBarrel-clusters_per_SignedModuleCoord_per_SignedLadderCoord_PXLayer_${layer.replace('BPix', '')}.parquet`,
  );
}

/** The "pixel barrel" preset with absolute paths to the reference fixture's model files, written to `file` (a preset outside the fixture). */
export async function writeReferencePreset(file: string): Promise<string> {
  const preset = pixelBarrelPreset(LAYERS, (l) => ({
    onnx: path.join(REFERENCE_DIR, `model/nmf_${l}.onnx`),
    localNorm: path.join(REFERENCE_DIR, `model/local_norm_${l}.npy`),
    lossMask: path.join(REFERENCE_DIR, `model/loss_mask_${l}.npy`),
  }));
  await fs.writeFile(file, JSON.stringify(preset));
  return file;
}
