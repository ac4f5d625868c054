import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDemoProject, generateDemoProject, type DemoLumiLabel } from '@/backend/demo/demo-project';
import { loadDataInputs } from '@/backend/pipeline/data-inputs';
import { readNpyFile, readNpzFile } from '@/backend/pipeline/npy';
import { compilePresetFiles, loadPresetFile, openSessions } from '@/backend/pipeline/preset-io';
import { inMemorySource, loadConditions, runPipeline } from '@/backend/pipeline/runner';
import type { LumisectionSummary } from '@/shared/pipeline/run-chunk';
import { DEMO_MARKER } from '@/backend/projects/project-folder';

let root: string;
let demo: string;
let labels: DemoLumiLabel[];

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'demo-project-'));
  demo = path.join(root, 'demo');
  ({ labels } = await generateDemoProject(demo, { contributors: [] }));
});
afterAll(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

async function hashTree(dir: string): Promise<string> {
  const h = createHash('sha256');
  const walk = async (d: string): Promise<void> => {
    for (const e of (await fs.readdir(d, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else h.update(path.relative(dir, p)).update(await fs.readFile(p));
    }
  };
  await walk(dir);
  return h.digest('hex');
}

describe('demo project', () => {
  it('has the documented layout', async () => {
    for (const f of [
      DEMO_MARKER,
      'preset.json',
      'template.yaml',
      'mlserver-model/model.npz',
      'data/labels.json',
      'data/run_number.npy',
      'data/ls_number.npy',
      'data/omsdata_Run2025X-demo.json',
      'data/hltrate_Run2025X-demo.json',
      'README.md',
    ]) {
      await expect(fs.access(path.join(demo, f)), f).resolves.toBeUndefined();
    }
    for (const l of ['BPix2', 'BPix3', 'BPix4']) {
      for (const f of [
        `model/nmf_${l}.onnx`,
        `model/components_${l}.npy`,
        `model/local_norm_${l}.npy`,
        `model/loss_mask_${l}.npy`,
        `data/raw_${l}.npy`,
      ]) {
        await expect(fs.access(path.join(demo, f)), f).resolves.toBeUndefined();
      }
    }
    const template = await fs.readFile(path.join(demo, 'template.yaml'), 'utf8');
    expect(template).toContain('CodeUri: mlserver-model/');
    expect(template).toContain('Handler: app.Handler');
    expect(template).toContain('ModelUri: mlserver-model/model.npz');
    const npz = await readNpzFile(path.join(demo, 'mlserver-model/model.npz'));
    expect(npz.components_BPix3.shape).toEqual([5, 88 * 64]);
    expect(npz.loss_mask_BPix4.dtype).toBe('bool');
    expect(JSON.parse(new TextDecoder().decode(npz.preset_json.data as Uint8Array)).layers).toHaveLength(3);
    // components are scaled to mean 1
    const H = (await readNpyFile(path.join(demo, 'model/components_BPix2.npy'))).data;
    for (let a = 0; a < 5; a++) {
      let m = 0;
      for (let j = 0; j < 3584; j++) m += H[a * 3584 + j];
      expect(m / 3584).toBeCloseTo(1, 4);
    }
  });

  it('flags its labelled anomalies and not its clean lumisections', async () => {
    const loaded = await loadPresetFile(path.join(demo, 'preset.json'));
    const cp = await compilePresetFiles(loaded);
    const sessions = await openSessions(loaded, cp);
    const spec = {
      layers: { BPix2: 'data/raw_BPix2.npy', BPix3: 'data/raw_BPix3.npy', BPix4: 'data/raw_BPix4.npy' },
      runs: 'data/run_number.npy',
      lumis: 'data/ls_number.npy',
      oms: 'data/omsdata_Run2025X-demo.json',
      hlt: 'data/hltrate_Run2025X-demo.json',
      baseDir: demo,
    };
    const data = await loadDataInputs(loaded.preset, spec);
    const warnings: string[] = [];
    const cond = await loadConditions(loaded.preset, spec, data, warnings);
    expect(warnings).toEqual([]);
    const out: LumisectionSummary[] = [];
    await runPipeline(cp, sessions, inMemorySource(cp, data), cond, { onChunk: (_s, s) => void out.push(...s) });
    await Promise.all(sessions.map((s) => s.close()));
    expect(out).toHaveLength(labels.length);
    const mismatches = out
      .map((s, i) => ({ s, l: labels[i] }))
      .filter(
        ({ s, l }) =>
          s.flagged !== l.expectFlagged ||
          s.passedFilter !== l.expectPassFilter ||
          (l.expectFlaggedBeforeFilter !== null && s.flaggedBeforeFilter !== l.expectFlaggedBeforeFilter),
      )
      .map(({ s, l }) => `${s.run}:${s.ls} ${l.label}: flagged ${s.flaggedBeforeFilter}→${s.flagged}, passed ${s.passedFilter}`);
    expect(mismatches).toEqual([]);
    expect(labels.filter((l) => l.expectFlagged).length).toBe(5);
    expect(labels.filter((l) => l.expectFlaggedBeforeFilter && !l.expectFlagged).length).toBe(2);
    expect(labels.filter((l) => l.label === 'clean').length).toBeGreaterThan(100);
  });

  it('is deterministic and regenerated only when absent', async () => {
    const small = { trainingLs: 12, iterations: 3, contributors: [] };
    const a = path.join(root, 'a');
    const b = path.join(root, 'b');
    await generateDemoProject(a, small);
    await generateDemoProject(b, small);
    expect(await hashTree(a)).toBe(await hashTree(b));
    const userData = path.join(root, 'user-data');
    const first = await ensureDemoProject(userData, small);
    expect(first.generated).toBe(true);
    await fs.writeFile(path.join(first.dir, 'notes.txt'), 'mine');
    const second = await ensureDemoProject(userData, small);
    expect(second).toEqual({ dir: first.dir, generated: false });
    expect(await fs.readFile(path.join(first.dir, 'notes.txt'), 'utf8')).toBe('mine');
  });
});
