import path from 'node:path';
import { ModelPreset } from '@/shared/preset/model-preset';
import { compilePipeline, PipelineConfigError, type CompiledPipeline } from '@/shared/pipeline/model';
import { writeFileAtomic } from '../fs/atomic-write';
import { inputError, readJsonInput } from './input-error';
import { NpyFormatError, readNpyFile } from './npy';
import { NmfSession } from './onnx-session';
import { issuesText } from '@/shared/api/issue-text';

export interface LoadedPreset {
  file: string;
  dir: string;
  preset: ModelPreset;
}

/** Validate a preset object; errors list the keys that are wrong. */
export function parsePreset(value: unknown, source: string): ModelPreset {
  const r = ModelPreset.safeParse(value);
  if (!r.success) throw inputError(`${source}: not a valid model preset — ${issuesText(r.error.issues)}`, { issues: r.error.issues });
  return r.data;
}

export async function loadPresetFile(file: string): Promise<LoadedPreset> {
  const abs = path.resolve(file);
  const json = await readJsonInput(abs, 'preset');
  return { file: abs, dir: path.dirname(abs), preset: parsePreset(json, abs) };
}

/** Write a preset (validated) atomically, keeping the previous file as <name>.dism-studio.bak. */
export async function savePresetFile(file: string, preset: unknown): Promise<ModelPreset> {
  const abs = path.resolve(file);
  const parsed = parsePreset(preset, abs);
  await writeFileAtomic(abs, `${JSON.stringify(parsed, null, 2)}\n`, { backup: true });
  return parsed;
}

function resolvePresetPath(loaded: Pick<LoadedPreset, 'dir'>, p: string): string {
  return path.resolve(loaded.dir, p);
}

/** Every file a preset run reads: the preset itself and each layer's ONNX model, local norm and loss mask. */
export function presetFiles(loaded: LoadedPreset): string[] {
  return [loaded.file, ...loaded.preset.layers.flatMap((l) => [l.onnx, l.localNorm, l.lossMask].map((p) => resolvePresetPath(loaded, p)))];
}

/** Read the local norms and loss masks and derive everything per model. */
export async function compilePresetFiles(loaded: LoadedPreset): Promise<CompiledPipeline> {
  const arrays: Parameters<typeof compilePipeline>[1] = {};
  for (const layer of loaded.preset.layers) {
    const normFile = resolvePresetPath(loaded, layer.localNorm);
    const maskFile = resolvePresetPath(loaded, layer.lossMask);
    try {
      arrays[layer.name] = {
        localNorm: await readNpyFile(normFile),
        lossMask: await readNpyFile(maskFile),
        localNormSource: normFile,
        lossMaskSource: maskFile,
      };
    } catch (err) {
      if (err instanceof NpyFormatError) throw inputError(`preset ${loaded.file}, layer ${layer.name}: ${err.message}`);
      throw err;
    }
  }
  try {
    return compilePipeline(loaded.preset, arrays);
  } catch (err) {
    if (err instanceof PipelineConfigError) throw inputError(`preset ${loaded.file}: ${err.message}`);
    throw err;
  }
}

export async function openSessions(loaded: LoadedPreset, cp: CompiledPipeline, threads = 1): Promise<NmfSession[]> {
  // Created concurrently: session creation (graph parsing, optimisation) dominates a short run's start-up.
  const opened = await Promise.allSettled(
    cp.layers.map((layer) => {
      const file = resolvePresetPath(loaded, loaded.preset.layers.find((l) => l.name === layer.name)!.onnx);
      return NmfSession.open(file, layer.name, layer.geom.outRows, layer.geom.outCols, { threads });
    }),
  );
  const failed = opened.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) {
    await Promise.all(opened.map((o) => (o.status === 'fulfilled' ? o.value.close() : undefined)));
    throw failed.reason;
  }
  return opened.map((o) => (o as PromiseFulfilledResult<NmfSession>).value);
}
