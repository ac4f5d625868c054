import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageModulesCache } from '@/backend/model-check/image-modules';
import { runModelCheck } from '@/backend/model-check/model-check';
import { vendorApply, vendorPlan } from '@/backend/model-check/vendor';
import { runOneShotContainer } from '@/backend/engine/run-container';
import { studioLabels } from '@/backend/engine/labels';
import { runCli } from '@/backend/cli/main';
import { cleanupProject, docker, ensureStandInImage, makeToyProject, STAND_IN_IMAGE, TOY_HANDLER } from '../model-server/helpers';

/**
 * What the check says about the other ways a model fails in DIALS, each on a small project and the
 * MLServer stand-in image: a handler with a syntax error, a joblib saved with another scikit-learn,
 * a pickle needing a class outside the model folder, and a name clash when vendoring.
 */
let cache: ImageModulesCache;
let userData: string;
const projects: string[] = [];
const deps = () => ({ docker, cache });

async function toy(handler = TOY_HANDLER) {
  const p = await makeToyProject(handler);
  projects.push(p.dir);
  return p;
}

/** Runs python in the Debian scikit-learn image with the project mounted (writes there as this user). */
async function inImage(dir: string, script: string): Promise<void> {
  await fs.writeFile(path.join(dir, 'make.py'), script);
  const lines: string[] = [];
  const { exitCode } = await runOneShotContainer(
    docker,
    {
      Image: 'dism-test/debian-base:bookworm',
      Cmd: ['python3', '/p/make.py'],
      User: `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`,
      Env: ['PYTHONDONTWRITEBYTECODE=1', 'HOME=/tmp'],
      WorkingDir: '/p',
      Labels: studioLabels({ role: 'test-make-model' }),
      HostConfig: { NetworkMode: 'none', Binds: [`${dir}:/p`] },
    },
    { onLine: (_s, t) => lines.push(t) },
  );
  if (exitCode !== 0) throw new Error(lines.join('\n'));
}

beforeAll(async () => {
  ensureStandInImage();
  const p = await toy();
  userData = path.join(p.dir, '..', `${path.basename(p.dir)}-user`);
  cache = new ImageModulesCache(path.join(userData, 'image-modules'));
}, 300_000);

afterAll(async () => {
  for (const d of projects) await cleanupProject(d);
  await fs.rm(userData, { recursive: true, force: true });
});

describe('model check: what else goes wrong', () => {
  it('a handler with a syntax error: red load check with the file, line and text, and the traceback', async () => {
    const { template } = await toy(TOY_HANDLER.replace('    async def load(self):', '    async def load(self)'));
    const r = await runModelCheck(deps(), { templateFile: template, image: STAND_IN_IMAGE });
    const load = r.checks.find((c) => c.id === 'load')!;
    expect(load.status).toBe('error');
    expect(load.summary).toMatch(
      /^mlserver-model\/app\.py has a syntax error on line 8: expected ':' — “async def load\(self\)”\. Python stops before the handler exists/,
    );
    expect(load.findings).toEqual([]); // the summary says it all; no second stage failed
    expect(load.traceback!.at(-1)).toBe("SyntaxError: expected ':'");
    expect(load.fixes[0].text).toMatch(/Fix line 8 of mlserver-model\/app\.py/);
    expect(r.headline).toMatch(/^DIALS will not load it: mlserver-model\/app\.py has a syntax error/);
  }, 120_000);

  it('a joblib saved with another scikit-learn: a warning naming both versions and the consequence', async () => {
    const { dir, template } = await toy();
    await inImage(
      dir,
      [
        'import numpy as np, joblib, sklearn.base',
        'from sklearn.decomposition import NMF',
        'm = NMF(n_components=2, init="nndsvda", max_iter=300, random_state=0).fit(np.abs(np.random.default_rng(0).normal(size=(20, 6))))',
        'sklearn.base.__version__ = "1.5.2"  # as if saved by scikit-learn 1.5.2 (it records its version in the state)',
        'joblib.dump(m, "mlserver-model/model.bin")',
      ].join('\n'),
    );
    const r = await runModelCheck(deps(), { templateFile: template, image: STAND_IN_IMAGE });
    const v = r.checks.find((c) => c.id === 'versions')!;
    expect(v.status).toBe('warning');
    expect(v.versions).toContainEqual({ package: 'scikit-learn', pickled: '1.5.2', image: '1.2.1', match: false });
    expect(v.findings[0].message).toMatch(
      /saved with scikit-learn 1\.5\.2 \(NMF at model\); the image has 1\.2\.1\. scikit-learn only promises to load a model in the version that saved it: .*may fail to load or silently compute different results/,
    );
    expect(v.summary).toMatch(/scikit-learn: saved with 1\.5\.2, image has 1\.2\.1 \(scikit-learn confirmed 1\.5\.2 while loading\)/);
    // it still loads; the rest is green
    expect(r.checks.filter((c) => c.id !== 'versions').map((c) => c.status)).toEqual(['ok', 'ok', 'ok']);
    expect(r.errors).toBe(0);
    // the CLI: exit 0 (warnings only), the versions in its text
    const out: string[] = [];
    const code = await runCli(['check-model', template, '--image', STAND_IN_IMAGE], {
      out: (t) => out.push(t),
      err: () => undefined,
      signal: new AbortController().signal,
      cwd: dir,
      env: { ...process.env, DOCKER_HOST: 'unix:///var/run/docker.sock', DISM_STUDIO_USER_DATA: userData },
    });
    expect(code).toBe(0);
    expect(out.join('\n')).toContain('scikit-learn: saved with 1.5.2, image has 1.2.1  ← differs');
  }, 180_000);

  it('a pickle needing a class outside the folder: the error names the object graph; the CLI exits 1 (--json)', async () => {
    const { dir, template } = await toy();
    await fs.mkdir(path.join(dir, 'studies', 'common'), { recursive: true });
    await fs.writeFile(
      path.join(dir, 'studies', 'common', 'scalers.py'),
      'class RobustScaler(object):\n    def __init__(self, q):\n        self.q = q\n',
    );
    await inImage(
      dir,
      [
        'import sys, joblib',
        'sys.path.insert(0, "studies")',
        'from common.scalers import RobustScaler',
        'joblib.dump({"scalers": {"BPix2": RobustScaler(0.9)}, "threshold": 0.04}, "mlserver-model/model.bin")',
      ].join('\n'),
    );
    const out: string[] = [];
    const code = await runCli(['check-model', template, '--image', STAND_IN_IMAGE, '--json'], {
      out: (t) => out.push(t),
      err: () => undefined,
      signal: new AbortController().signal,
      cwd: dir,
      env: { ...process.env, DOCKER_HOST: 'unix:///var/run/docker.sock', DISM_STUDIO_USER_DATA: userData },
    });
    expect(code).toBe(1);
    const r = JSON.parse(out.join('\n'));
    const pk = r.checks.find((c: { id: string }) => c.id === 'pickle');
    expect(pk.status).toBe('error');
    expect(pk.findings[0].message).toBe(
      "The pickle needs common.scalers.RobustScaler, which exists only outside the model folder (../studies/common/scalers.py): DIALS will not ship it, so unpickling fails with ModuleNotFoundError — needed by model['scalers']['BPix2'].",
    );
    const load = r.checks.find((c: { id: string }) => c.id === 'load');
    expect(load.summary).toMatch(/^Unpickling model\.bin with the model folder on sys\.path failed.*No module named 'common'/);
  }, 180_000);

  it('a name clash when vendoring refuses the whole plan and writes nothing', async () => {
    const { dir, template } = await toy(`${TOY_HANDLER}\nfrom tools import dftools  # noqa\n`);
    await fs.mkdir(path.join(dir, 'tools'));
    await fs.writeFile(path.join(dir, 'tools', '__init__.py'), '');
    await fs.writeFile(path.join(dir, 'tools', 'dftools.py'), 'def load():\n    return 1\n');
    await fs.writeFile(path.join(dir, 'mlserver-model', 'dftools.py'), '# a different dftools the physicist already had\n');
    const before = await fs.readFile(path.join(dir, 'mlserver-model', 'app.py'), 'utf8');
    const plan = await vendorPlan(template, undefined, deps(), STAND_IN_IMAGE);
    expect(plan.refusals).toEqual([
      'Name clash: the model folder already has mlserver-model/dftools.py, different from tools/dftools.py (tools.dftools). Rename one of them, then vendor again.',
    ]);
    expect(plan.files).toEqual([]);
    await expect(vendorApply(template, undefined, plan.planId, deps(), STAND_IN_IMAGE)).rejects.toMatchObject({ code: 'VENDOR_REFUSED' });
    expect(await fs.readFile(path.join(dir, 'mlserver-model', 'app.py'), 'utf8')).toBe(before);
    // A module that would hide the standard library is a clash too.
    await fs.rm(path.join(dir, 'mlserver-model', 'dftools.py'));
    await fs.writeFile(path.join(dir, 'tools', 'json.py'), 'X = 1\n');
    await fs.appendFile(path.join(dir, 'mlserver-model', 'app.py'), 'from tools import json  # noqa\n');
    const plan2 = await vendorPlan(template, undefined, deps(), STAND_IN_IMAGE);
    expect(plan2.refusals).toContain(
      'Name clash: tools.json would become json.py and hide the standard library’s json for every module of the server.',
    );
  }, 120_000);
});
