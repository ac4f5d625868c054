import { promises as fs } from 'node:fs';
import path from 'node:path';
import { compilePipeline } from '@/shared/pipeline/model';
import type { NdArray } from '@/shared/pipeline/ndarray';
import { preprocessLayer } from '@/shared/pipeline/stages';
import { PRESET_FILE_NAME, type ModelPreset } from '@/shared/preset/model-preset';
import { pixelBarrelPreset } from '@/shared/preset/pixel-barrel';
import { encodeNpy, encodeNpz } from '../pipeline/npy';
import { swapInFolder } from '../fs/swap-folder';
import { DEMO_MARKER } from '../projects/project-folder';
import { DEMO_RUNS, LABELS, labelEdits, LS_PER_RUN, PLACED_LABELS, type DemoLabel } from './demo-labels';
import { demoTemplateYaml } from './demo-template';
import { tritonDemoFiles, tritonDemoReadme } from './triton-demo';
import { trainNmf } from './nmf-train';
import { encodeNmfOnnx } from '../onnx/nmf-onnx';
import { Rng } from './rng';
import { DEMO_LAYERS, drawMap, makeLayerTruth, type LayerTruth } from './synthetic-maps';

/** Bump when the generated content changes: older demo folders are regenerated. */
const DEMO_GENERATOR_VERSION = 2;
const DEMO_ERA = 'Run2025X-demo';
const NMF_COMPONENTS = 5;

/**
 * The two demo projects: the same synthetic maps, preset and preview files, served two ways —
 * `mlserver`: the production pixel-NMF setup (MLServer, numpy handler, OMS/HLT metadata);
 * `triton`: an ONNX NMF autoencoder on the three maps, served by Triton (backend/demo/triton-demo.ts).
 */
export const DEMO_VARIANTS = ['mlserver', 'triton'] as const;
export type DemoVariant = (typeof DEMO_VARIANTS)[number];

/**
 * Another part of the app adds its files to a generated demo project (e.g. the MLServer handler
 * `mlserver-model/app.py`). A contributor runs after the demo files are written, before the
 * project is moved into place; it must be deterministic and only write inside `dir`.
 */
export type DemoContributor = (dir: string, demo: { variant: DemoVariant }) => Promise<void>;

export interface DemoOptions {
  /** Which demo (default `mlserver`). */
  variant?: DemoVariant;
  /**
   * Required, so no caller can forget a part: the app passes its list (createBackend), a test that
   * needs only the preview files passes [].
   */
  contributors: readonly DemoContributor[];
  seed?: number;
  trainingLs?: number;
  iterations?: number;
}

export interface DemoMarker {
  generator: 'dism-studio demo';
  version: number;
  variant: DemoVariant;
  seed: number;
  layers: string[];
  lumisections: number;
}

export interface DemoLumiLabel {
  run: number;
  ls: number;
  label: DemoLabel;
  description: string;
  expectFlagged: boolean;
  expectFlaggedBeforeFilter: boolean | null;
  expectPassFilter: boolean;
}

const DEAD_MODULES: Record<string, number> = { BPix2: 1, BPix3: 2, BPix4: 2 };

function npy(dtype: NdArray['dtype'], shape: number[], data: NdArray['data']): Uint8Array {
  return encodeNpy({ dtype, shape, data });
}

/** Pileup along a fill: falls from `start` to `end` over the run. */
function pileupAt(runIndex: number, ls: number): number {
  const [start, end] = runIndex === 0 ? [62, 40] : [58, 36];
  return Math.round((start + ((end - start) * (ls - 1)) / (LS_PER_RUN - 1)) * 10) / 10;
}

/**
 * Generate the demo project into `dir` (which must not exist yet): synthetic BPix2–4 maps with
 * labelled anomalies, NMF models trained here and exported to ONNX, local norms, loss masks, OMS
 * and HLT metadata, a model preset and a pixel-NMF template. Deterministic for a given seed.
 */
export async function generateDemoProject(dir: string, opts: DemoOptions): Promise<{ dir: string; labels: DemoLumiLabel[] }> {
  const seed = opts.seed ?? 2025;
  const variant = opts.variant ?? 'mlserver';
  const trainingLs = opts.trainingLs ?? 96;
  const iterations = opts.iterations ?? 60;
  const rng = new Rng(seed);
  const truths = new Map<string, LayerTruth>(DEMO_LAYERS.map((l) => [l, makeLayerTruth(l, rng, DEAD_MODULES[l])]));
  const files: Record<string, Uint8Array | string> = {};

  // Training sample: clean LS over a range of pileup; the local norm is their average map.
  const training = new Map<string, Int32Array>();
  const localNorms: Record<string, NdArray> = {};
  const lossMasks: Record<string, NdArray> = {};
  const trainPileup = Array.from({ length: trainingLs }, () => 30 + 35 * rng.next());
  for (const layer of DEMO_LAYERS) {
    const t = truths.get(layer)!;
    const size = t.rows * t.cols;
    const raw = new Int32Array(trainingLs * size);
    trainPileup.forEach((pileup, i) => drawMap(t, { pileup, statistics: 1, edits: [] }, rng, raw, i * size));
    training.set(layer, raw);
    const norm = new Float64Array(size);
    const nonZero = new Float64Array(size);
    for (let i = 0; i < trainingLs; i++) {
      for (let k = 0; k < size; k++) {
        const v = raw[i * size + k];
        norm[k] += v;
        if (v > 0) nonZero[k]++;
      }
    }
    for (let k = 0; k < size; k++) norm[k] /= trainingLs;
    localNorms[layer] = { dtype: 'float64', shape: [t.rows, t.cols], data: norm };
    lossMasks[layer] = { dtype: 'bool', shape: [t.rows, t.cols], data: Uint8Array.from(nonZero, (c) => (c > trainingLs / 2 ? 1 : 0)) };
  }

  const preset: ModelPreset = {
    ...pixelBarrelPreset([...DEMO_LAYERS]),
    name: 'pixel barrel (demo)',
    description: 'PixelNMF on synthetic BPix2–4 maps, generated by DISM Studio',
  };
  const cp = compilePipeline(preset, Object.fromEntries(DEMO_LAYERS.map((l) => [l, { localNorm: localNorms[l], lossMask: lossMasks[l] }])));

  // NMF per layer on the preprocessed training maps.
  const npz: Record<string, NdArray> = {};
  for (const layer of cp.layers) {
    const size = layer.geom.outRows * layer.geom.outCols;
    const pre = new Float32Array(trainingLs * size);
    preprocessLayer(
      layer,
      training.get(layer.name)!,
      trainingLs,
      { preprocessed: pre, modelInput: new Float32Array(pre.length), entries: new Float64Array(trainingLs) },
      { max: 5, zeroValue: 1 },
      new Float64Array(layer.geom.rows * layer.geom.cols),
    );
    const { H } = trainNmf(pre, trainingLs, size, NMF_COMPONENTS, { iterations, seed: seed + size });
    files[`model/nmf_${layer.name}.onnx`] = encodeNmfOnnx({
      components: H,
      nComponents: NMF_COMPONENTS,
      rows: layer.geom.outRows,
      cols: layer.geom.outCols,
    });
    files[`model/components_${layer.name}.npy`] = npy('float32', [NMF_COMPONENTS, size], H);
    files[`model/local_norm_${layer.name}.npy`] = encodeNpy(localNorms[layer.name]);
    files[`model/loss_mask_${layer.name}.npy`] = encodeNpy(lossMasks[layer.name]);
    npz[`components_${layer.name}`] = { dtype: 'float32', shape: [NMF_COMPONENTS, size], data: H };
    npz[`local_norm_${layer.name}`] = localNorms[layer.name];
    npz[`loss_mask_${layer.name}`] = lossMasks[layer.name];
  }
  npz.preset_json = { dtype: 'uint8', shape: [0], data: new TextEncoder().encode(JSON.stringify(preset)) };
  npz.preset_json.shape = [npz.preset_json.data.length];

  // Sample lumisections with labels, OMS and HLT metadata.
  const n = DEMO_RUNS.length * LS_PER_RUN;
  const runs = new Int32Array(n);
  const lumis = new Int32Array(n);
  const labels: DemoLumiLabel[] = [];
  const oms: Record<string, Array<number | boolean>> = { run_number: [], lumisection_number: [], pileup: [], fill_number: [] };
  const flags = [
    'cms_active',
    'beams_stable',
    'bpix_ready',
    'fpix_ready',
    'tibtid_ready',
    'tob_ready',
    'tecp_ready',
    'tecm_ready',
    'physics_flag',
  ];
  for (const f of flags) oms[f] = [];
  const hlt: Record<string, Record<string, { rate: number[]; first_lumisection_number: number[]; run_number: number[] }>> = {};
  const raws = DEMO_LAYERS.map((l) => new Int32Array(n * truths.get(l)!.rows * truths.get(l)!.cols));
  DEMO_RUNS.forEach((run, ri) => {
    const trig = { rate: [] as number[], first_lumisection_number: [] as number[], run_number: [] as number[] };
    hlt[String(run)] = { HLT_ZeroBias_v12: trig };
    for (let ls = 1; ls <= LS_PER_RUN; ls++) {
      const i = ri * LS_PER_RUN + ls - 1;
      const label = PLACED_LABELS[`${run}:${ls}`] ?? 'clean';
      const spec = LABELS[label];
      runs[i] = run;
      lumis[i] = ls;
      labels.push({
        run,
        ls,
        label,
        description: spec.description,
        expectFlagged: spec.flagged,
        expectFlaggedBeforeFilter: spec.flaggedBeforeFilter,
        expectPassFilter: spec.passesFilter,
      });
      const pileup = label === 'low_pileup' ? 20 : pileupAt(ri, ls);
      DEMO_LAYERS.forEach((layer, li) => {
        const t = truths.get(layer)!;
        drawMap(
          t,
          { pileup, statistics: label === 'low_stat' ? 0.02 : 1, edits: labelEdits(label, layer) },
          rng,
          raws[li],
          i * t.rows * t.cols,
        );
      });
      oms.run_number.push(run);
      oms.lumisection_number.push(ls);
      oms.pileup.push(pileup);
      oms.fill_number.push(10500 + ri);
      for (const f of flags)
        oms[f].push(
          !((f === 'beams_stable' && label === 'beams_not_stable') || (f === 'bpix_ready' && label === 'outage3_bpix_not_ready')),
        );
      trig.rate.push(label === 'outage2_low_hlt' ? 2 : Math.round((40 + 2 * rng.normal()) * 100) / 100);
      trig.first_lumisection_number.push(ls);
      trig.run_number.push(run);
    }
  });
  DEMO_LAYERS.forEach((layer, li) => {
    const t = truths.get(layer)!;
    files[`data/raw_${layer}.npy`] = npy('int32', [n, t.rows, t.cols], raws[li]);
  });
  files['data/run_number.npy'] = npy('int32', [n], runs);
  files['data/ls_number.npy'] = npy('int32', [n], lumis);
  files[`data/omsdata_${DEMO_ERA}.json`] = JSON.stringify(oms);
  files[`data/hltrate_${DEMO_ERA}.json`] = JSON.stringify(hlt);
  files['data/labels.json'] =
    `${JSON.stringify({ description: 'Ground truth of the demo lumisections (see docs/demo-project.md)', lumisections: labels }, null, 1)}\n`;
  files[PRESET_FILE_NAME] = `${JSON.stringify(preset, null, 2)}\n`;
  if (variant === 'mlserver') {
    files['mlserver-model/model.npz'] = encodeNpz(npz);
    files['template.yaml'] = demoTemplateYaml(preset);
    files['README.md'] = demoReadme(n);
  } else {
    const triton = tritonDemoFiles({ preset, training, trainingLs, seed, iterations });
    Object.assign(files, triton.files);
    files['README.md'] = tritonDemoReadme(n, triton.threshold);
  }
  const marker: DemoMarker = {
    generator: 'dism-studio demo',
    version: DEMO_GENERATOR_VERSION,
    variant,
    seed,
    layers: [...DEMO_LAYERS],
    lumisections: n,
  };
  files[DEMO_MARKER] = `${JSON.stringify(marker, null, 2)}\n`;

  for (const [rel, content] of Object.entries(files)) {
    const file = path.join(dir, rel);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, content);
  }
  for (const contribute of opts.contributors) await contribute(dir, { variant });
  return { dir, labels };
}

function demoReadme(n: number): string {
  return `# DISM Studio demo project

Generated by DISM Studio (deterministic, seeded). Synthetic cluster-occupancy maps of the pixel barrel
layers BPix2–4 (${n} lumisections in two runs), an NMF model per layer trained on clean synthetic maps and
exported to ONNX, and everything the preview and the DIALS template need.

- \`preset.json\` — the model preset (thresholds, patterns, filters; paths relative to this folder)
- \`template.yaml\` — the DIALS template (MLServer, \`mlserver-model/\`, \`app.Handler\`)
- \`model/\` — \`nmf_<layer>.onnx\`, \`components_<layer>.npy\`, \`local_norm_<layer>.npy\`, \`loss_mask_<layer>.npy\`
- \`mlserver-model/model.npz\` — components, local norms and loss masks for the model server
- \`data/\` — \`raw_<layer>.npy\`, \`run_number.npy\`, \`ls_number.npy\`, OMS and HLT JSON, \`labels.json\` (ground truth)

Preview from the command line:

    dism-studio preview --project .
`;
}

/** Folder of a demo project in the user-data dir. */
export function demoDir(userDataDir: string, variant: DemoVariant = 'mlserver'): string {
  return path.join(userDataDir, variant === 'mlserver' ? 'demo-project' : `demo-project-${variant}`);
}

/** Every demo project folder (each may be opened, and written, as a project). */
export function demoDirs(userDataDir: string): string[] {
  return DEMO_VARIANTS.map((v) => demoDir(userDataDir, v));
}

/** Which demo a folder holds (from its marker), or null when it is not a generated demo. */
export async function demoVariantOf(dir: string): Promise<DemoVariant | null> {
  const marker = await readMarker(dir);
  return marker ? (marker.variant ?? 'mlserver') : null;
}

async function readMarker(dir: string): Promise<DemoMarker | null> {
  try {
    return JSON.parse(await fs.readFile(path.join(dir, DEMO_MARKER), 'utf8')) as DemoMarker;
  } catch {
    return null;
  }
}

/**
 * The demo project in the user-data dir, generated when absent or made by an older generator.
 * Generation happens in a temporary sibling folder that is renamed into place, so a crash never
 * leaves a half-written demo; a folder without the demo marker is never touched.
 */
export function ensureDemoProject(userDataDir: string, opts: DemoOptions): Promise<{ dir: string; generated: boolean }> {
  // Concurrent calls (two windows, a double click) share one generation.
  const dir = demoDir(userDataDir, opts.variant);
  let pending = inFlight.get(dir);
  if (!pending) {
    pending = ensureDemoProjectOnce(dir, opts).finally(() => inFlight.delete(dir));
    inFlight.set(dir, pending);
  }
  return pending;
}

const inFlight = new Map<string, Promise<{ dir: string; generated: boolean }>>();

async function ensureDemoProjectOnce(dir: string, opts: DemoOptions): Promise<{ dir: string; generated: boolean }> {
  const marker = await readMarker(dir);
  if (marker && marker.version === DEMO_GENERATOR_VERSION) return { dir, generated: false };
  const exists = await fs.stat(dir).then(
    () => true,
    () => false,
  );
  if (exists && !marker)
    throw new Error(`${dir} exists but is not a generated demo project (no ${DEMO_MARKER}); move it away to regenerate the demo`);
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  try {
    await generateDemoProject(tmp, opts);
    await swapInFolder(tmp, dir);
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return { dir, generated: true };
}
