import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoProject, type DemoLumiLabel } from '@/backend/demo/demo-project';
import { demoModelServerContributor } from '@/backend/model-server/demo-handler';
import { loadDataInputs } from '@/backend/pipeline/data-inputs';
import { compilePresetFiles, loadPresetFile, openSessions } from '@/backend/pipeline/preset-io';
import { inMemorySource, loadConditions, runPipeline } from '@/backend/pipeline/runner';
import { readTemplate, requireResource } from '@/backend/build-local/template-source';
import { runInference } from '@/backend/inference/run-inference';
import { presetSyncState } from '@/backend/model-server/preset-sync';
import { cleanupProject, ensureStandInImage, newManager, STAND_IN_IMAGE, studioContainersFor } from './helpers';

const DATA = {
  files: { BPix2: 'data/raw_BPix2.npy', BPix3: 'data/raw_BPix3.npy', BPix4: 'data/raw_BPix4.npy' },
  runs: 'data/run_number.npy',
  lumis: 'data/ls_number.npy',
  oms: 'data/omsdata_Run2025X-demo.json',
  hlt: 'data/hltrate_Run2025X-demo.json',
};

/** The in-app preview (TypeScript pipeline on onnxruntime-node) on the demo sample. */
async function previewFlags(demo: string): Promise<boolean[]> {
  const loaded = await loadPresetFile(path.join(demo, 'preset.json'));
  const cp = await compilePresetFiles(loaded);
  const sessions = await openSessions(loaded, cp);
  const spec = { layers: DATA.files, runs: DATA.runs, lumis: DATA.lumis, oms: DATA.oms, hlt: DATA.hlt, baseDir: demo };
  const data = await loadDataInputs(loaded.preset, spec);
  const cond = await loadConditions(loaded.preset, spec, data, []);
  const flags: boolean[] = [];
  await runPipeline(cp, sessions, inMemorySource(cp, data), cond, {
    onChunk: (_s, summaries) => void summaries.forEach((s) => (flags[s.index] = s.flagged)),
  });
  return flags;
}

describe('demo project: start-api flags the same lumisections as the preview', () => {
  let root: string;
  let demo: string;
  let labels: DemoLumiLabel[];
  beforeAll(async () => {
    ensureStandInImage();
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-demo-server-'));
    await fs.chmod(root, 0o755);
    demo = path.join(root, 'demo');
    ({ labels } = await generateDemoProject(demo, { contributors: [demoModelServerContributor] }));
  }, 600_000);
  afterAll(async () => {
    if (demo) await cleanupProject(demo);
    if (root) await fs.rm(root, { recursive: true, force: true });
  });

  it('local build → start-api → ready → inference on the demo sample → flags equal the preview → stop', async () => {
    // the handler's embedded preset is the project's preset.json
    expect(await presetSyncState(path.join(demo, 'template.yaml'))).toMatchObject({ applicable: true, inSync: true });
    const preview = await previewFlags(demo);
    expect(preview).toEqual(labels.map((l) => l.expectFlagged));
    const { manager } = newManager();
    const run = await manager.start({
      templateFile: path.join(demo, 'template.yaml'),
      image: STAND_IN_IMAGE,
      port: 18700,
      build: 'always',
    });
    const ready = await manager.waitReady(run.id);
    try {
      const resource = requireResource(await readTemplate(path.join(demo, 'template.yaml')));
      const result = await runInference({ url: ready.url!, resource, baseDir: demo, data: DATA, previewFlags: preview });
      expect(result.lumisections).toHaveLength(labels.length);
      expect(result.comparison?.disagreements).toEqual([]);
      expect(result.comparison?.agree).toBe(labels.length);
    } finally {
      await manager.stop(run.id);
    }
    expect(await studioContainersFor(demo)).toHaveLength(0);
  });
});
