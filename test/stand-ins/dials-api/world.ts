/**
 * TEST STAND-IN data for the DIALS API stand-in (never used by DISM Studio outside tests): a seeded,
 * deterministic in-memory "DIALS database" per workspace — dataset index, file index, runs,
 * lumisections, monitoring elements, TH1/TH2 histograms, ML model index and ML bad lumisections —
 * plus the OMS data the OMS proxy serves. Histograms are generated on demand from (dataset, run,
 * LS, ME), never stored, so 10 000 LS × 3 MEs cost no memory; tests can inject exact maps.
 *
 * The barrel maps use the demo project's generator (backend/demo/synthetic-maps.ts) with the demo's
 * layer truths (seed 2025, 1/2/2 dead modules in BPix2/3/4), and the demo runs 398100/398101 carry
 * the demo's labelled anomalies, so the demo model behaves on stand-in data as on the demo project.
 */
import { DEMO_RUNS, LABELS, labelEdits, LS_PER_RUN, PLACED_LABELS, type DemoLabel } from '@/backend/demo/demo-labels';
import { Rng } from '@/backend/demo/rng';
import { drawMap, makeLayerTruth, type DemoLayer, type LayerTruth } from '@/backend/demo/synthetic-maps';
import { BARREL_CROSS_ROWS, BARREL_SHAPES } from '@/shared/preset/pixel-barrel';

// ───────────────────────────── deterministic hashing ─────────────────────────────

/** 32-bit hash of integers (any size up to 2^53): seeds for per-record random streams. */
export function mix(...xs: number[]): number {
  let h = 0x9e3779b9;
  const step = (v: number) => {
    h = Math.imul(h ^ (v >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  };
  for (const x of xs) {
    const n = Math.trunc(x);
    step(n % 0x100000000);
    step(Math.floor(n / 0x100000000));
  }
  return h >>> 0;
}
const hash01 = (...xs: number[]) => mix(...xs) / 0x100000000;
const hashNormal = (...xs: number[]) => Math.sqrt(-2 * Math.log(1 - hash01(...xs, 1))) * Math.cos(2 * Math.PI * hash01(...xs, 2));

/** Standard normal draws, tabulated once: a fast Poisson for large means (maps have ~10⁴ bins). */
const NORMAL_TABLE = (() => {
  const r = new Rng(0x5eed);
  return Float64Array.from({ length: 4096 }, () => r.normal());
})();

/** The demo's Rng with a cheaper Poisson above mean 30 (normal approximation from a table). */
class FastRng extends Rng {
  override poisson(mean: number): number {
    if (mean < 30) return super.poisson(mean);
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * NORMAL_TABLE[(this.next() * 4096) | 0]));
  }
}

// ───────────────────────────── definitions ─────────────────────────────

export interface MeDef {
  meId: number;
  me: string;
  dim: 1 | 2;
  /** x bins (TH1/TH2) and y bins (TH2 only); data of a TH2 is y_bin rows × x_bin columns. */
  xBins: number;
  xMin: number;
  xMax: number;
  yBins?: number;
  yMin?: number;
  yMax?: number;
  /** Which generator draws its content. */
  shape:
    | { kind: 'barrel'; layer: DemoLayer }
    | { kind: 'barrel-bpix1' }
    | { kind: 'blob2d' }
    | { kind: 'landau1d'; mpv: number }
    | { kind: 'falling1d' };
}

export interface FileDef {
  fileId: number;
  run: number;
  lsFrom: number;
  lsTo: number;
  logicalFileName: string;
  fileSize: number;
  creationDate: string;
  status: string;
  errTrace: string | null;
}

export interface RunDef {
  run: number;
  lsCount: number;
  /** MEs that this run has no histograms for (e.g. a layer missing from the DQMIO files). */
  missingMeIds: Set<number>;
}

export interface DatasetDef {
  datasetId: number;
  dataset: string;
  era: string;
  dataTier: string;
  primaryDsName: string;
  processedDsName: string;
  processingVersion: number;
  lastModificationDate: string;
  runs: RunDef[];
  files: FileDef[];
  lsPerFile: number;
}

export interface ModelDef {
  modelId: number;
  filename: string;
  targetMe: string;
  active: boolean;
  /** Which lumisections DIALS flagged with this model (see productionFlags). */
  verdicts: 'production' | 'outage3-only' | 'none';
}

export interface BadLumiDef {
  modelId: number;
  datasetId: number;
  fileId: number;
  run: number;
  ls: number;
  meId: number;
  mse: number;
}

export interface WorkspaceDef {
  name: string;
  /** The e-group whose members DIALS routes to this workspace by default (production settings). */
  egroup: string;
  datasets: DatasetDef[];
  mes: MeDef[];
  models: ModelDef[];
  badLumis: BadLumiDef[];
}

/** A histogram's content: `values` is row-major (row = y bin for a TH2), `entries` the ROOT entries. */
export interface HistContent {
  dim: 1 | 2;
  rows: number;
  cols: number;
  values: ArrayLike<number>;
  entries: number;
}

/** Lumisection conditions shared by the maps, OMS and the production verdicts. */
export interface LsConditions {
  label: DemoLabel;
  pileup: number;
  statistics: number;
  beamsStable: boolean;
  bpixReady: boolean;
  hltZeroBiasRate: number;
}

export interface ExtraRun {
  run: number;
  lsCount: number;
  /** Dataset name; default `/StreamExpress/Run2025F-Express-v1/DQMIO`. */
  dataset?: string;
  /** Default `tracker`. */
  workspace?: string;
  /** ME names without histograms in this run. */
  missingMes?: string[];
}

export interface WorldOptions {
  /** Seeds noise, labels of non-demo runs and file names (default 2025). Barrel layer truths always use the demo's seed. */
  seed?: number;
  extraRuns?: ExtraRun[];
}

/** `n` runs of `lsPerRun` lumisections from run `first`: e.g. bulkRuns(399000, 10, 1000) for 10 000 LS. */
export function bulkRuns(first: number, n: number, lsPerRun: number, dataset?: string): ExtraRun[] {
  return Array.from({ length: n }, (_, i) => ({ run: first + i, lsCount: lsPerRun, dataset }));
}

// ───────────────────────────── the default world ─────────────────────────────

/** Workspaces and their default-routing e-groups, as configured in DIALS production (backend configmap). */
export const PRODUCTION_WORKSPACES: Array<[string, string]> = [
  ['csc', 'cms-dqm-runregistry-offline-csc-certifiers'],
  ['ecal', 'cms-dqm-runregistry-offline-ecal-certifiers'],
  ['egamma', 'cms-dqm-runregistry-offline-egamma-certifiers'],
  ['hcal', 'cms-dqm-runregistry-offline-hcal-certifiers'],
  ['jetmet', 'cms-dqm-runregistry-offline-jme-certifiers'],
  ['muon_staging', 'fake'],
  ['tracker', 'cms-dqm-runregistry-offline-tracker-certifiers'],
];
export const DEFAULT_WORKSPACE = 'tracker';

export const PIXEL_BARREL_ME = 'PixelPhase1/Phase1_MechanicalView/PXBarrel/clusters_per_SignedModuleCoord_per_SignedLadderCoord_PXLayer_';
export const BARREL_ME_IDS: Record<string, number> = { BPix1: 248, BPix2: 250, BPix3: 251, BPix4: 252 };
export const EXPRESS_2025F = '/StreamExpress/Run2025F-Express-v1/DQMIO';
export const ZEROBIAS_2025F = '/ZeroBias/Run2025F-PromptReco-v1/DQMIO';

function barrelMe(layer: 'BPix1' | DemoLayer): MeDef {
  const [ny, nx] = BARREL_SHAPES[layer];
  return {
    meId: BARREL_ME_IDS[layer],
    me: `${PIXEL_BARREL_ME}${layer.slice(4)}`,
    dim: 2,
    xBins: nx,
    xMin: -nx / 16,
    xMax: nx / 16,
    yBins: ny,
    yMin: -ny / 4,
    yMax: ny / 4,
    shape: layer === 'BPix1' ? { kind: 'barrel-bpix1' } : { kind: 'barrel', layer },
  };
}

const TRACKER_MES: MeDef[] = [
  {
    meId: 101,
    me: 'PixelPhase1/Tracks/PXBarrel/charge_PXLayer_2',
    dim: 1,
    xBins: 80,
    xMin: 0,
    xMax: 80000,
    shape: { kind: 'landau1d', mpv: 21000 },
  },
  {
    meId: 102,
    me: 'PixelPhase1/Tracks/PXBarrel/charge_PXLayer_3',
    dim: 1,
    xBins: 80,
    xMin: 0,
    xMax: 80000,
    shape: { kind: 'landau1d', mpv: 22000 },
  },
  barrelMe('BPix1'),
  barrelMe('BPix2'),
  barrelMe('BPix3'),
  barrelMe('BPix4'),
];

/** Stand-in-only content of other workspaces (names in their ETL ME prefixes; shapes illustrative). */
const CSC_MES: MeDef[] = [
  {
    meId: 1,
    me: 'CSC/CSCOfflineMonitor/recHits/hRHGlobalp1',
    dim: 2,
    xBins: 50,
    xMin: -750,
    xMax: 750,
    yBins: 50,
    yMin: -750,
    yMax: 750,
    shape: { kind: 'blob2d' },
  },
  {
    meId: 2,
    me: 'CSC/CSCOfflineMonitor/recHits/hRHSumQp11',
    dim: 1,
    xBins: 100,
    xMin: 0,
    xMax: 4000,
    shape: { kind: 'landau1d', mpv: 900 },
  },
];
const JETMET_MES: MeDef[] = [
  {
    meId: 1,
    me: 'JetMET/Jet/Cleanedak4PFJetsCHS/CHFrac_highPt_Barrel',
    dim: 1,
    xBins: 50,
    xMin: 0,
    xMax: 1,
    shape: { kind: 'landau1d', mpv: 0.6 },
  },
  { meId: 2, me: 'JetMET/MET/pfMETT1/Cleaned/MET_2', dim: 1, xBins: 100, xMin: 0, xMax: 500, shape: { kind: 'falling1d' } },
];

/** Model ids of the tracker workspace's pixel models (see productionFlags for what each flags). */
export const PIXEL_MODEL_ID = 21;
export const PIXEL_MODEL_OLD_ID = 20;
export const BPIX1_MODEL_ID = 22;

/**
 * Where DIALS production deliberately disagrees with the demo labels for model PIXEL_MODEL_ID, so a
 * preview/production comparison has something to show: DIALS flags a lumisection the labels call
 * clean-by-design, and misses one labelled anomaly.
 */
export const PRODUCTION_DISAGREEMENTS = {
  extraFlag: { run: 398100, ls: 22 },
  missedFlag: { run: 398101, ls: 20 },
};

interface DatasetSpec {
  datasetId: number;
  dataset: string;
  processingVersion: number;
  lastModificationDate: string;
  lsPerFile: number;
  runs: Array<{ run: number; lsCount: number; missingMes?: string[] }>;
}

const TRACKER_DATASETS: DatasetSpec[] = [
  {
    datasetId: 14702,
    dataset: ZEROBIAS_2025F,
    processingVersion: 1,
    lastModificationDate: '2025-07-02T08:11:37Z',
    lsPerFile: 12,
    runs: [
      { run: 398011, lsCount: 12 },
      { run: 398012, lsCount: 12 },
    ],
  },
  {
    datasetId: 15102301,
    dataset: '/StreamExpress/Run2025E-Express-v1/DQMIO',
    processingVersion: 1,
    lastModificationDate: '2025-06-09T21:40:02Z',
    lsPerFile: 40,
    runs: [],
  },
  {
    datasetId: 15102369,
    dataset: '/ZeroBias/Run2025E-PromptReco-v1/DQMIO',
    processingVersion: 1,
    lastModificationDate: '2025-06-11T03:02:51Z',
    lsPerFile: 40,
    runs: [],
  },
  {
    datasetId: 15191836,
    dataset: EXPRESS_2025F,
    processingVersion: 1,
    lastModificationDate: '2025-07-04T16:27:09Z',
    lsPerFile: 40,
    runs: [
      { run: 398100, lsCount: 60 },
      { run: 398101, lsCount: 60 },
      { run: 398102, lsCount: 180 },
      { run: 398104, lsCount: 40, missingMes: [`${PIXEL_BARREL_ME}4`] },
      { run: 398108, lsCount: 25 },
    ],
  },
  {
    datasetId: 15230412,
    dataset: '/StreamExpress/Run2025G-Express-v1/DQMIO',
    processingVersion: 1,
    lastModificationDate: '2025-07-21T10:05:44Z',
    lsPerFile: 40,
    runs: [{ run: 398500, lsCount: 50 }],
  },
];

function datasetParts(name: string): { primary: string; processed: string; tier: string; era: string } {
  const [, primary, processed, tier] = name.split('/');
  return { primary, processed, tier, era: processed.split('-')[0] };
}

/** The seeded world: every workspace's tables, lazily generated histograms, OMS conditions. */
export class World {
  readonly seed: number;
  readonly workspaces = new Map<string, WorkspaceDef>();
  private readonly truths: Map<DemoLayer, LayerTruth>;
  private readonly injected = new Map<string, HistContent>();
  private readonly cache = new Map<string, HistContent>();
  /** Largest LS count of each run over all workspaces and datasets (OMS knows every run). */
  private readonly runLengths = new Map<number, number>();

  constructor(opts: WorldOptions = {}) {
    this.seed = opts.seed ?? 2025;
    // The demo project's layer truths: same seed, same order, same dead-module counts (demo-project.ts).
    const rng = new Rng(2025);
    const dead: Record<DemoLayer, number> = { BPix2: 1, BPix3: 2, BPix4: 2 };
    this.truths = new Map((['BPix2', 'BPix3', 'BPix4'] as DemoLayer[]).map((l) => [l, makeLayerTruth(l, rng, dead[l])]));

    for (const [name, egroup] of PRODUCTION_WORKSPACES)
      this.workspaces.set(name, { name, egroup, datasets: [], mes: [], models: [], badLumis: [] });
    const tracker = this.workspaces.get('tracker')!;
    tracker.mes = TRACKER_MES.map((m) => ({ ...m }));
    for (const spec of TRACKER_DATASETS) tracker.datasets.push(this.makeDataset(tracker, spec));
    tracker.models = [
      {
        modelId: PIXEL_MODEL_OLD_ID,
        filename: 'model_PixelNMF_BPix2-4_checkpoint_20250305.onnx',
        targetMe: `${PIXEL_BARREL_ME}2`,
        active: false,
        verdicts: 'outage3-only',
      },
      {
        modelId: PIXEL_MODEL_ID,
        filename: 'model_PixelNMF_BPix2-4_checkpoint_20250610.onnx',
        targetMe: `${PIXEL_BARREL_ME}2`,
        active: true,
        verdicts: 'production',
      },
      {
        modelId: BPIX1_MODEL_ID,
        filename: 'model_PixelNMF_BPix1_checkpoint_20240720.onnx',
        targetMe: `${PIXEL_BARREL_ME}1`,
        active: false,
        verdicts: 'none',
      },
    ];

    const csc = this.workspaces.get('csc')!;
    csc.mes = CSC_MES.map((m) => ({ ...m }));
    csc.datasets.push(
      this.makeDataset(csc, {
        datasetId: 15191836,
        dataset: EXPRESS_2025F,
        processingVersion: 1,
        lastModificationDate: '2025-07-04T16:27:09Z',
        lsPerFile: 40,
        runs: [
          { run: 398100, lsCount: 60 },
          { run: 398101, lsCount: 60 },
        ],
      }),
    );

    const jetmet = this.workspaces.get('jetmet')!;
    jetmet.mes = JETMET_MES.map((m) => ({ ...m }));
    jetmet.datasets.push(
      this.makeDataset(jetmet, {
        datasetId: 15191901,
        dataset: '/JetMET0/Run2025F-PromptReco-v1/DQMIO',
        processingVersion: 1,
        lastModificationDate: '2025-07-05T02:13:40Z',
        lsPerFile: 40,
        runs: [{ run: 398100, lsCount: 60 }],
      }),
    );
    // Real model file names of DIALS's JetMET index (etl/fill_ml_index.py); verdicts are stand-in data.
    jetmet.models = [
      {
        modelId: 1,
        filename: 'model_CHFrac_highPt_Barrel_checkpoint_20240517.onnx',
        targetMe: 'JetMET/Jet/Cleanedak4PFJetsCHS/CHFrac_highPt_Barrel',
        active: false,
        verdicts: 'none',
      },
      {
        modelId: 19,
        filename: 'model_CHFrac_highPt_Barrel_checkpoint_20240720.onnx',
        targetMe: 'JetMET/Jet/Cleanedak4PFJetsCHS/CHFrac_highPt_Barrel',
        active: true,
        verdicts: 'outage3-only',
      },
      {
        modelId: 20,
        filename: 'model_MET_2_checkpoint_20240517.onnx',
        targetMe: 'JetMET/MET/pfMETT1/Cleaned/MET_2',
        active: true,
        verdicts: 'none',
      },
    ];

    for (const extra of opts.extraRuns ?? []) this.addRun(extra);
    for (const ws of this.workspaces.values()) this.rebuildVerdicts(ws);
  }

  // ── structure ──

  workspace(name: string): WorkspaceDef {
    const ws = this.workspaces.get(name);
    if (!ws) throw new Error(`DIALS stand-in: no workspace "${name}" (known: ${[...this.workspaces.keys()].join(', ')})`);
    return ws;
  }

  dataset(ws: WorkspaceDef, nameOrId: string | number): DatasetDef {
    const d = ws.datasets.find((x) => x.dataset === nameOrId || x.datasetId === nameOrId);
    if (!d) throw new Error(`DIALS stand-in: workspace ${ws.name} has no dataset ${nameOrId}`);
    return d;
  }

  me(ws: WorkspaceDef, nameOrId: string | number): MeDef {
    const m = ws.mes.find((x) => x.me === nameOrId || x.meId === nameOrId);
    if (!m) throw new Error(`DIALS stand-in: workspace ${ws.name} has no ME ${nameOrId}`);
    return m;
  }

  private makeDataset(ws: WorkspaceDef, spec: DatasetSpec): DatasetDef {
    const p = datasetParts(spec.dataset);
    const d: DatasetDef = {
      datasetId: spec.datasetId,
      dataset: spec.dataset,
      era: p.era,
      dataTier: p.tier,
      primaryDsName: p.primary,
      processedDsName: p.processed,
      processingVersion: spec.processingVersion,
      lastModificationDate: spec.lastModificationDate,
      runs: [],
      files: [],
      lsPerFile: spec.lsPerFile,
    };
    for (const r of spec.runs) this.putRun(ws, d, r.run, r.lsCount, r.missingMes ?? []);
    return d;
  }

  /** Add (or extend) a run of a dataset; the dataset is created in the index if unknown. */
  addRun(extra: ExtraRun): void {
    const ws = this.workspace(extra.workspace ?? DEFAULT_WORKSPACE);
    const name = extra.dataset ?? EXPRESS_2025F;
    let d = ws.datasets.find((x) => x.dataset === name);
    if (!d) {
      d = this.makeDataset(ws, {
        datasetId: 15300000 + (mix(this.seed, name.length, ...[...name].map((c) => c.charCodeAt(0))) % 90000),
        dataset: name,
        processingVersion: 1,
        lastModificationDate: '2025-08-01T00:00:00Z',
        lsPerFile: 40,
        runs: [],
      });
      ws.datasets.push(d);
      ws.datasets.sort((a, b) => a.datasetId - b.datasetId);
    }
    this.putRun(ws, d, extra.run, extra.lsCount, extra.missingMes ?? []);
    this.rebuildVerdicts(ws);
  }

  private putRun(ws: WorkspaceDef, d: DatasetDef, run: number, lsCount: number, missingMes: string[]): void {
    const missing = new Set(missingMes.map((n) => this.me(ws, n).meId));
    this.runLengths.set(run, Math.max(this.runLengths.get(run) ?? 0, lsCount));
    const existing = d.runs.find((r) => r.run === run);
    if (existing) {
      existing.lsCount = Math.max(existing.lsCount, lsCount);
      for (const m of missing) existing.missingMeIds.add(m);
    } else {
      d.runs.push({ run, lsCount, missingMeIds: missing });
      d.runs.sort((a, b) => a.run - b.run);
    }
    this.rebuildFiles(d);
  }

  /** DQMIO files: each run's LS split into files of lsPerFile LS; ids and names derived from the seed. */
  private rebuildFiles(d: DatasetDef): void {
    const express = d.processedDsName.includes('Express');
    const base = 3390000000 + (d.datasetId % 1000000) * 1000;
    d.files = [];
    let k = 0;
    for (const r of d.runs) {
      for (let from = 1; from <= r.lsCount; from += d.lsPerFile) {
        const h = mix(this.seed, d.datasetId, r.run, from);
        const hex = [0, 1, 2, 3].map((i) => mix(h, i).toString(16).toUpperCase().padStart(8, '0')).join('');
        const uuid = [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20, 32)].join('-');
        const runPath = String(r.run)
          .padStart(9, '0')
          .replace(/^(\d{3})(\d{3})(\d{3})$/, '$1/$2/$3');
        const version = d.processedDsName.split('-').slice(1).join('-');
        d.files.push({
          fileId: base + k++,
          run: r.run,
          lsFrom: from,
          lsTo: Math.min(r.lsCount, from + d.lsPerFile - 1),
          logicalFileName: `/store/${express ? 'express' : 'data'}/${d.era}/${d.primaryDsName}/${d.dataTier}/${version}/${runPath}/00000/${uuid}.root`,
          fileSize: 20_000_000 + (h % 180_000_000),
          creationDate: '2025-07-01T12:00:00Z',
          status: 'FINISHED',
          errTrace: null,
        });
      }
    }
  }

  fileOf(d: DatasetDef, run: number, ls: number): FileDef {
    const f = d.files.find((x) => x.run === run && ls >= x.lsFrom && ls <= x.lsTo);
    if (!f) throw new Error(`DIALS stand-in: no file holds ${d.dataset} ${run}:${ls}`);
    return f;
  }

  runOf(d: DatasetDef, run: number): RunDef | undefined {
    return d.runs.find((r) => r.run === run);
  }

  /** MEs with histograms in this run, ordered by me_id. */
  mesInRun(ws: WorkspaceDef, r: RunDef, dim?: 1 | 2): MeDef[] {
    return ws.mes.filter((m) => (dim === undefined || m.dim === dim) && !r.missingMeIds.has(m.meId)).sort((a, b) => a.meId - b.meId);
  }

  /** Number of LS histograms of an ME over all datasets (the `count` of mes/). */
  meCount(ws: WorkspaceDef, m: MeDef): number {
    let n = 0;
    for (const d of ws.datasets) for (const r of d.runs) if (!r.missingMeIds.has(m.meId)) n += r.lsCount;
    return n;
  }

  /** Every run in any workspace (OMS knows all runs), with its largest LS count. */
  allRuns(): Map<number, number> {
    return new Map([...this.runLengths.entries()].sort((a, b) => a[0] - b[0]));
  }

  /** LS count of a run as OMS knows it (0 if no workspace has the run). */
  runLength(run: number): number {
    return this.runLengths.get(run) ?? 0;
  }

  // ── lumisection conditions ──

  /** The label (anomaly) of a lumisection: the demo's placed labels for the demo runs, seeded elsewhere. */
  label(run: number, ls: number): DemoLabel {
    if (DEMO_RUNS.includes(run) && ls <= LS_PER_RUN) return PLACED_LABELS[`${run}:${ls}`] ?? 'clean';
    const u = hash01(this.seed, run, ls, 7);
    if (u < 0.008) return 'outage3';
    if (u < 0.014) return 'hot2';
    if (u < 0.018) return 'outage2';
    if (u < 0.021) return 'single_dead';
    if (u < 0.024) return 'low_stat';
    if (u < 0.026) return 'beams_not_stable';
    return 'clean';
  }

  conditions(run: number, ls: number): LsConditions {
    const label = this.label(run, ls);
    const lsCount = this.runLength(run) || LS_PER_RUN;
    let pileup: number;
    const demoIndex = DEMO_RUNS.indexOf(run);
    if (demoIndex >= 0 && ls <= LS_PER_RUN) {
      // demo-project.ts pileupAt(): falls from 62 (58) to 40 (36) over the run
      const [start, end] = demoIndex === 0 ? [62, 40] : [58, 36];
      pileup = Math.round((start + ((end - start) * (ls - 1)) / (LS_PER_RUN - 1)) * 10) / 10;
    } else {
      const start = 54 + 8 * hash01(this.seed, run, 3);
      pileup = Math.round((start - (20 * (ls - 1)) / Math.max(1, lsCount - 1)) * 10) / 10;
    }
    if (label === 'low_pileup') pileup = 20;
    return {
      label,
      pileup,
      statistics: label === 'low_stat' ? 0.02 : 1,
      beamsStable: label !== 'beams_not_stable',
      bpixReady: label !== 'outage3_bpix_not_ready',
      hltZeroBiasRate: label === 'outage2_low_hlt' ? 2 : Math.round((40 + 2 * hashNormal(this.seed, run, ls, 11)) * 100) / 100,
    };
  }

  // ── histograms ──

  private key(ws: WorkspaceDef, datasetId: number, run: number, ls: number, meId: number): string {
    return `${ws.name}|${datasetId}|${run}|${ls}|${meId}`;
  }

  /** The histogram content served for (dataset, run, LS, ME): injected if a test put one there, generated otherwise. */
  content(ws: WorkspaceDef, d: DatasetDef, run: number, ls: number, m: MeDef): HistContent {
    const k = this.key(ws, d.datasetId, run, ls, m.meId);
    const inj = this.injected.get(k);
    if (inj) return inj;
    const hit = this.cache.get(k);
    if (hit) return hit;
    const c = this.generate(d, run, ls, m);
    // A few recent maps are kept so that a filter on entries and the page that follows share the work.
    if (this.cache.size >= 64) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(k, c);
    return c;
  }

  private generate(d: DatasetDef, run: number, ls: number, m: MeDef): HistContent {
    const cond = this.conditions(run, ls);
    const rng = new FastRng(mix(this.seed, d.datasetId, run, ls, m.meId));
    const rows = m.dim === 2 ? m.yBins! : 1;
    const cols = m.xBins;
    const out = new Int32Array(rows * cols);
    const s = m.shape;
    if (s.kind === 'barrel') {
      drawMap(
        this.truths.get(s.layer)!,
        { pileup: cond.pileup, statistics: cond.statistics, edits: labelEdits(cond.label, s.layer) },
        rng,
        out,
        0,
      );
    } else if (s.kind === 'barrel-bpix1') {
      const [cr0, cr1] = BARREL_CROSS_ROWS.BPix1;
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          if ((r >= cr0 && r < cr1) || (c >= 32 && c < 40)) continue;
          const z = Math.abs(c + 0.5 - cols / 2) / (cols / 2);
          out[r * cols + c] = rng.poisson(2400 * (1.25 - 0.55 * z) * (cond.pileup / 50) * cond.statistics);
        }
      }
    } else if (s.kind === 'blob2d') {
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const x = (c + 0.5) / cols - 0.5;
          const y = (r + 0.5) / rows - 0.5;
          const rad = Math.hypot(x, y);
          out[r * cols + c] = rng.poisson(rad > 0.1 && rad < 0.45 ? 40 * (cond.pileup / 50) * cond.statistics : 0.5);
        }
      }
    } else if (s.kind === 'landau1d') {
      const width = (m.xMax - m.xMin) / cols;
      for (let c = 0; c < cols; c++) {
        const x = m.xMin + (c + 0.5) * width;
        const l = (x - s.mpv) / (0.18 * s.mpv);
        out[c] = rng.poisson(((30000 * cond.statistics * Math.exp(-0.5 * (l + Math.exp(-l)))) / cols) * 8);
      }
    } else {
      for (let c = 0; c < cols; c++) out[c] = rng.poisson(((5000 * cond.statistics * Math.exp(-c / (cols / 6))) / cols) * 6);
    }
    let entries = 0;
    for (let i = 0; i < out.length; i++) entries += out[i];
    return { dim: m.dim, rows, cols, values: out, entries };
  }

  /**
   * Serve exactly this map for (dataset, run, LS, ME) from now on. `data` is y_bin rows × x_bin
   * columns (TH2) or x_bin values (TH1); entries default to the sum of the bins. The run is added to
   * the dataset if missing (and extended to cover `ls`).
   */
  inject(opts: {
    workspace?: string;
    dataset: string | number;
    me: string | number;
    run: number;
    ls: number;
    data: number[][] | number[];
    entries?: number;
  }): void {
    const ws = this.workspace(opts.workspace ?? DEFAULT_WORKSPACE);
    const d = this.dataset(ws, opts.dataset);
    const m = this.me(ws, opts.me);
    const rows = m.dim === 2 ? m.yBins! : 1;
    const matrix = (m.dim === 2 ? opts.data : [opts.data]) as number[][];
    if (matrix.length !== rows || matrix.some((row) => !Array.isArray(row) || row.length !== m.xBins)) {
      throw new Error(
        `DIALS stand-in: ${m.me} maps are ${rows} × ${m.xBins} (y_bin × x_bin); the injected data is ${matrix.length} × ${Array.isArray(matrix[0]) ? matrix[0].length : '?'}`,
      );
    }
    const values = new Float64Array(rows * m.xBins);
    matrix.forEach((row, r) => row.forEach((v, c) => (values[r * m.xBins + c] = v)));
    const r = this.runOf(d, opts.run);
    if (!r || r.lsCount < opts.ls) this.putRun(ws, d, opts.run, opts.ls, []);
    else r.missingMeIds.delete(m.meId);
    this.injected.set(this.key(ws, d.datasetId, opts.run, opts.ls, m.meId), {
      dim: m.dim,
      rows,
      cols: m.xBins,
      values,
      entries: opts.entries ?? Math.round(values.reduce((a, b) => a + b, 0)),
    });
    this.rebuildVerdicts(ws);
  }

  /** Inject a stack of maps, e.g. a DIALS-style (N, y_bin, x_bin) .npy array with its run and LS arrays. */
  injectStack(opts: {
    workspace?: string;
    dataset: string | number;
    me: string | number;
    runs: ArrayLike<number>;
    lumis: ArrayLike<number>;
    maps: { shape: readonly number[]; data: ArrayLike<number | bigint> };
  }): void {
    const [n, ny, nx] = opts.maps.shape.length === 3 ? opts.maps.shape : [opts.maps.shape[0], 1, opts.maps.shape[1]];
    if (opts.runs.length !== n || opts.lumis.length !== n)
      throw new Error(`DIALS stand-in: ${n} maps but ${opts.runs.length} run numbers and ${opts.lumis.length} LS numbers`);
    for (let i = 0; i < n; i++) {
      const rows: number[][] = [];
      for (let r = 0; r < ny; r++) rows.push(Array.from({ length: nx }, (_, c) => Number(opts.maps.data[(i * ny + r) * nx + c])));
      this.inject({
        workspace: opts.workspace,
        dataset: opts.dataset,
        me: opts.me,
        run: Number(opts.runs[i]),
        ls: Number(opts.lumis[i]),
        data: opts.maps.shape.length === 3 ? rows : rows[0],
      });
    }
  }

  // ── production verdicts ──

  /**
   * What DIALS flagged with a model, per (dataset, run, LS): 'production' flags every LS whose label
   * is flagged after the lumisection filter (LABELS[label].flagged), with PRODUCTION_DISAGREEMENTS
   * applied; 'outage3-only' flags only the 3-layer outages that pass the filter; 'none' flags nothing.
   */
  productionFlag(model: ModelDef, run: number, ls: number): boolean {
    if (model.verdicts === 'none') return false;
    const { extraFlag, missedFlag } = PRODUCTION_DISAGREEMENTS;
    if (model.verdicts === 'production') {
      if (run === extraFlag.run && ls === extraFlag.ls) return true;
      if (run === missedFlag.run && ls === missedFlag.ls) return false;
    }
    const label = this.label(run, ls);
    return model.verdicts === 'production' ? LABELS[label].flagged : label === 'outage3';
  }

  private rebuildVerdicts(ws: WorkspaceDef): void {
    ws.badLumis = [];
    for (const model of ws.models) {
      const me = ws.mes.find((m) => m.me === model.targetMe);
      if (!me) continue;
      for (const d of ws.datasets) {
        for (const r of d.runs) {
          if (r.missingMeIds.has(me.meId)) continue;
          for (let ls = 1; ls <= r.lsCount; ls++) {
            if (!this.productionFlag(model, r.run, ls)) continue;
            const mse = Math.round((0.05 + 0.15 * hash01(this.seed, model.modelId, r.run, ls)) * 1e6) / 1e6;
            ws.badLumis.push({
              modelId: model.modelId,
              datasetId: d.datasetId,
              fileId: this.fileOf(d, r.run, ls).fileId,
              run: r.run,
              ls,
              meId: me.meId,
              mse,
            });
          }
        }
      }
    }
    ws.badLumis.sort((a, b) => a.modelId - b.modelId || a.datasetId - b.datasetId || a.run - b.run || a.ls - b.ls || a.meId - b.meId);
  }
}
