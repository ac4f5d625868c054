import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageModulesCache } from '@/backend/model-check/image-modules';
import { runModelCheck } from '@/backend/model-check/model-check';
import { addAliases, redumpModel, vendorApply, vendorPlan } from '@/backend/model-check/vendor';
import { readTemplate, requireResource } from '@/backend/build-local/template-source';
import { runInference } from '@/backend/inference/run-inference';
import { runCli } from '@/backend/cli/main';
import {
  cleanupProject,
  docker,
  ensureStandInImage,
  newManager,
  ownContainersOfRole,
  STAND_IN_IMAGE,
  studioContainersFor,
} from '../model-server/helpers';
import { previewFlags, PREVIEW_DATA } from './preview-flags';
import { makePixelCase, type PixelCase } from './pixel-case';

/**
 * The pixel NMF case end to end, on the real engine with the MLServer stand-in image
 * (dism-test/mlserver:1.5.0, FROM the Debian scikit-learn image the joblib is pickled in).
 */
let root: string;
let c: PixelCase;
let cache: ImageModulesCache;
const deps = () => ({ docker, cache });

beforeAll(async () => {
  ensureStandInImage();
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-pixel-case-'));
  await fs.chmod(root, 0o755);
  cache = new ImageModulesCache(path.join(root, 'user', 'image-modules'));
  c = await makePixelCase(path.join(root, 'project'), docker);
}, 600_000);

afterAll(async () => {
  if (c) await cleanupProject(c.dir);
  if (root) await fs.rm(root, { recursive: true, force: true });
});

describe('the pixel NMF case: check → vendor → re-dump → check → start-api', () => {
  it('check: errors naming both helper modules (found outside the model folder) and the pickled class outside it', async () => {
    const r = await runModelCheck(deps(), { templateFile: c.template, image: STAND_IN_IMAGE });
    const byId = Object.fromEntries(r.checks.map((x) => [x.id, x]));
    expect(byId.imports.status).toBe('error');
    const imp = byId.imports.findings.filter((f) => f.severity === 'error');
    expect(imp.map((f) => [f.module, f.file, f.line, f.foundAt])).toEqual([
      ['tools.dftools', 'mlserver-model/pixelnmf.py', 7, ['../tools/dftools.py']],
      ['tools.nmfpipeline', 'mlserver-model/pixelnmf.py', 8, ['../tools/nmfpipeline.py']],
    ]);
    expect(imp[0].message).toContain('outside the model folder: DIALS will not ship it');
    expect(byId.pickle.status).toBe('error');
    const pk = byId.pickle.findings.find((f) => f.module === 'tools.dftools')!;
    expect(pk.message).toMatch(
      /The pickle needs tools\.dftools\.LayerInfo, which exists only outside the model folder \(\.\.\/tools\/dftools\.py\).*needed by model\.layers\[0\], model\.layers\[1\], model\.layers\[2\]/,
    );
    // The load in the image fails the way DIALS would: the handler imports pixelnmf, which cannot import tools.
    expect(byId.load.status).toBe('error');
    expect(byId.load.summary).toMatch(/No module named 'tools'/);
    expect(byId.load.traceback!.join('\n')).toContain('mlserver-model/pixelnmf.py');
    expect(byId.versions.status).toBe('ok');
    expect(r.errors).toBe(3);
    expect(r.canVendor).toBe(true);
    expect(r.headline).toMatch(/^DIALS will not load it/);
    expect(await ownContainersOfRole('model-check')).toEqual([]);
  }, 180_000);

  it('vendor: the diff first (nothing written), then the files copied with flat imports, .dism-studio.bak kept', async () => {
    const before = await fs.readFile(path.join(c.dir, 'mlserver-model/pixelnmf.py'), 'utf8');
    const plan = await vendorPlan(c.template, undefined, deps(), STAND_IN_IMAGE);
    expect(plan.refusals).toEqual([]);
    expect(plan.modules.map((m) => [m.module, m.flatName, m.from])).toEqual([
      ['tools.dftools', 'dftools', 'tools/dftools.py'],
      ['tools.nmfpipeline', 'nmfpipeline', 'tools/nmfpipeline.py'],
      ['tools.patterns', 'patterns', 'tools/patterns.py'],
    ]);
    const rewrite = plan.files.find((f) => f.path === 'mlserver-model/pixelnmf.py')!;
    expect(rewrite.action).toBe('rewrite');
    expect(rewrite.diff).toContain(
      [
        '-from tools import dftools  # noqa: E402',
        '-from tools.nmfpipeline import PixelNMFModel  # noqa: E402',
        '+import dftools  # noqa: E402',
        '+from nmfpipeline import PixelNMFModel  # noqa: E402',
      ].join('\n'),
    );
    const pipe = plan.files.find((f) => f.path === 'mlserver-model/nmfpipeline.py')!;
    expect(pipe).toMatchObject({ action: 'copy', from: 'tools/nmfpipeline.py' });
    expect(pipe.diff).toContain('+from patterns import pattern_matrix');
    expect(plan.pickleChanges).toEqual([
      {
        pickled: 'tools.dftools.LayerInfo',
        becomes: 'dftools.LayerInfo',
        paths: ['model.layers[0]', 'model.layers[1]', 'model.layers[2]'],
      },
    ]);
    expect(plan.notes.join('\n')).toMatch(/would not unpickle.*Re-dump the model .* or add alias modules/);
    // nothing written yet
    expect(await fs.readFile(path.join(c.dir, 'mlserver-model/pixelnmf.py'), 'utf8')).toBe(before);

    // The CLI shows the same diff with --dry-run and writes nothing.
    const out: string[] = [];
    const code = await runCli(['vendor', c.template, '--dry-run', '--image', STAND_IN_IMAGE], {
      out: (t) => out.push(t),
      err: (t) => out.push(t),
      signal: new AbortController().signal,
      cwd: c.dir,
      env: { ...process.env, DOCKER_HOST: 'unix:///var/run/docker.sock', DISM_STUDIO_USER_DATA: path.join(root, 'user') },
    });
    expect(code).toBe(0);
    expect(out.join('\n')).toContain('+import dftools  # noqa: E402');
    expect(out.join('\n')).toContain('dry run: nothing was written');
    await expect(fs.stat(path.join(c.dir, 'mlserver-model/dftools.py'))).rejects.toThrow();

    const res = await vendorApply(c.template, undefined, plan.planId, deps(), STAND_IN_IMAGE);
    expect(res.written.map((f) => path.relative(c.dir, f)).sort()).toEqual([
      'mlserver-model/dftools.py',
      'mlserver-model/nmfpipeline.py',
      'mlserver-model/patterns.py',
      'mlserver-model/pixelnmf.py',
    ]);
    expect(res.backups.map((f) => path.relative(c.dir, f))).toEqual(['mlserver-model/pixelnmf.py.dism-studio.bak']);
    expect(await fs.readFile(path.join(c.dir, 'mlserver-model/pixelnmf.py.dism-studio.bak'), 'utf8')).toBe(before);
    expect(await fs.readFile(path.join(c.dir, 'mlserver-model/pixelnmf.py'), 'utf8')).toContain('\nimport dftools  # noqa: E402\n');
    // the originals outside are untouched
    expect(await fs.readFile(path.join(c.dir, 'tools/nmfpipeline.py'), 'utf8')).toContain('from tools.patterns import pattern_matrix');
    // the same plan cannot be applied twice
    await expect(vendorApply(c.template, undefined, plan.planId, deps(), STAND_IN_IMAGE)).rejects.toMatchObject({
      code: expect.stringMatching(/PLAN_CHANGED|NOTHING_TO_VENDOR/),
    });
  }, 180_000);

  it('after vendoring, the check names the pickle’s old module path; the re-dump in the image fixes it; check → green', async () => {
    const mid = await runModelCheck(deps(), { templateFile: c.template, image: STAND_IN_IMAGE });
    expect(mid.checks.find((x) => x.id === 'imports')!.status).toBe('ok');
    expect(mid.checks.find((x) => x.id === 'pickle')!.status).toBe('error');
    const redump = await redumpModel(docker, { templateFile: c.template, image: STAND_IN_IMAGE });
    expect(redump.renamed).toEqual([{ from: 'tools.dftools.LayerInfo', to: 'dftools.LayerInfo' }]);
    expect(redump.backup).toBe(path.join(c.dir, 'mlserver-model/pixelnmf.joblib.dism-studio.bak'));
    const r = await runModelCheck(deps(), { templateFile: c.template, image: STAND_IN_IMAGE });
    expect(r.checks.map((x) => [x.id, x.status, x.status === 'ok' ? '' : x.summary])).toEqual([
      ['imports', 'ok', ''],
      ['pickle', 'ok', ''],
      ['load', 'ok', ''],
      ['versions', 'ok', ''],
    ]);
    expect(r.checks.find((x) => x.id === 'load')!.summary).toMatch(
      /unpickled pixelnmf\.PixelNMF; app\.Handler imported, instantiated and load\(\) returned/,
    );
    expect(r.headline).toMatch(/^DIALS should load it/);
  }, 180_000);

  it('start-api on the stand-in MLServer image → ready, and inference agrees with the preview', async () => {
    const preview = await previewFlags(c.dir);
    expect(preview).toEqual(c.labels.map((l) => l.expectFlagged));
    const { manager } = newManager();
    const run = await manager.start({ templateFile: c.template, image: STAND_IN_IMAGE, port: 18730, build: 'always' });
    const ready = await manager.waitReady(run.id);
    try {
      const resource = requireResource(await readTemplate(c.template));
      const result = await runInference({ url: ready.url!, resource, baseDir: c.dir, data: PREVIEW_DATA, previewFlags: preview });
      expect(result.comparison?.disagreements).toEqual([]);
      expect(result.comparison?.agree).toBe(c.labels.length);
    } finally {
      await manager.stop(run.id);
    }
    expect(await studioContainersFor(c.dir)).toHaveLength(0);
  }, 300_000);

  it('the other way out: alias modules make the old pickle load from the vendored code', async () => {
    // Bring back the original pickle (tools.dftools.LayerInfo) from the backup the re-dump kept.
    const model = path.join(c.dir, 'mlserver-model/pixelnmf.joblib');
    await fs.copyFile(`${model}.dism-studio.bak`, model);
    const res = await addAliases(c.template, undefined);
    expect(res.written.map((f) => path.relative(c.dir, f)).sort()).toEqual([
      'mlserver-model/tools/__init__.py',
      'mlserver-model/tools/dftools.py',
    ]);
    const r = await runModelCheck(deps(), { templateFile: c.template, image: STAND_IN_IMAGE });
    expect(r.checks.map((x) => [x.id, x.status])).toEqual([
      ['imports', 'ok'],
      ['pickle', 'ok'],
      ['load', 'ok'],
      ['versions', 'ok'],
    ]);
  }, 180_000);
});
