/**
 * A project laid out like the pixel NMF case that motivated the model check (issue 13): the model
 * class in the model folder (mlserver-model/pixelnmf.py) imports two helper modules from a sibling
 * package outside it (tools.dftools, tools.nmfpipeline), and tools.nmfpipeline imports a third
 * (tools.patterns). The joblib is pickled in the Debian scikit-learn stand-in image from that
 * layout, so it names tools.dftools.LayerInfo — a class that exists only outside the model folder.
 *
 * It is built from the generated demo project (its sample data, preset and model.npz) so that the
 * server's answers can be compared with the in-app preview: tools/nmfpipeline.py is the demo
 * handler's numpy pipeline (demo-assets/mlserver-model/pixelnmf.py) with its pattern_matrix moved
 * to tools/patterns.py, made here from that one file.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { runOneShotContainer } from '@/backend/engine/run-container';
import { studioLabels } from '@/backend/engine/labels';
import { generateDemoProject, type DemoLumiLabel } from '@/backend/demo/demo-project';
import { demoModelServerContributor } from '@/backend/model-server/demo-handler';

export const TRAIN_IMAGE = 'dism-test/debian-base:bookworm';
const DEMO_ASSETS = path.resolve(__dirname, '../../demo-assets/mlserver-model');

export const PIXELNMF_PY = `"""The pixel NMF model class, as the physicist wrote it: its helpers live in the sibling package ../tools."""
import os
import sys

sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # finds ../tools when training

from tools import dftools  # noqa: E402
from tools.nmfpipeline import PixelNMFModel  # noqa: E402


class PixelNMF(object):
    def __init__(self, npz_bytes, layers, nmf):
        self.npz = npz_bytes
        self.layers = [dftools.LayerInfo(name, shape) for name, shape in layers]
        self.nmf = nmf  # a scikit-learn NMF: the pickle records the scikit-learn version

    def pipeline(self):
        return PixelNMFModel.from_npz(dftools.npz_file(self.npz))
`;

export const DFTOOLS_PY = `"""Helpers shared by the pixel studies (test fixture)."""
import io


class LayerInfo(object):
    def __init__(self, name, shape):
        self.name = name
        self.shape = tuple(shape)


def npz_file(data):
    return io.BytesIO(data)
`;

const TRAIN_PY = `import io, os, sys
import numpy as np
import joblib
from sklearn.decomposition import NMF
project = sys.argv[1]
sys.path.insert(0, os.path.join(project, "mlserver-model"))
from pixelnmf import PixelNMF  # noqa: E402
with open(os.path.join(project, "training", "model.npz"), "rb") as f:
    data = f.read()
z = np.load(io.BytesIO(data))
layers = [(k[len("local_norm_"):], z[k].shape) for k in sorted(z.files) if k.startswith("local_norm_")]
nmf = NMF(n_components=2, init="nndsvda", max_iter=400, random_state=0).fit(np.abs(np.random.default_rng(0).normal(size=(30, 8))))
if len(sys.argv) > 2:
    import sklearn.base
    sklearn.base.__version__ = sys.argv[2]  # pretend another scikit-learn saved it (it records its version in the state)
joblib.dump(PixelNMF(data, layers, nmf), os.path.join(project, "mlserver-model", "pixelnmf.joblib"), compress=3)
print("pickled", [l[0] for l in layers])
`;

/** The demo's numpy pipeline moved into tools/: pattern_matrix split off into tools/patterns.py. */
async function toolsFromDemo(): Promise<{ nmfpipeline: string; patterns: string }> {
  const src = await fs.readFile(path.join(DEMO_ASSETS, 'pixelnmf.py'), 'utf8');
  const m = /\ndef pattern_matrix\(spec\):\n(?: {4}.*\n|\n)*?(?=\n\S)/.exec(src);
  if (!m) throw new Error('pattern_matrix not found in the demo pipeline');
  const nmfpipeline = src
    .replace(m[0], '\n')
    .replace('\nimport numpy as np\n', '\nimport numpy as np\n\nfrom tools.patterns import pattern_matrix\n');
  return { nmfpipeline, patterns: `"""Pattern helpers (test fixture)."""\nimport numpy as np\n${m[0]}` };
}

export interface PixelCase {
  dir: string;
  labels: DemoLumiLabel[];
  template: string;
}

/** The pixel case in `dir` (made from a fresh demo project), its joblib pickled in the Debian image. */
export async function makePixelCase(dir: string, docker: Docker, opts: { sklearnVersion?: string } = {}): Promise<PixelCase> {
  const { labels } = await generateDemoProject(dir, { contributors: [demoModelServerContributor] });
  const code = path.join(dir, 'mlserver-model');
  await fs.mkdir(path.join(dir, 'training'), { recursive: true });
  await fs.rename(path.join(code, 'model.npz'), path.join(dir, 'training', 'model.npz'));
  for (const f of ['pixelnmf.py', 'make_model_npz.py']) await fs.rm(path.join(code, f), { force: true });
  const app = (await fs.readFile(path.join(code, 'app.py'), 'utf8'))
    .replace(
      'from pixelnmf import PixelNMFModel  # noqa: E402',
      'import joblib  # noqa: E402\nfrom pixelnmf import PixelNMF  # noqa: E402,F401',
    )
    .replace(
      'self.pipeline = PixelNMFModel.from_npz(await get_model_uri(self._settings))',
      'self.model = joblib.load(await get_model_uri(self._settings))\n        self.pipeline = self.model.pipeline()',
    );
  if (!app.includes('joblib.load')) throw new Error('the demo app.py changed: update pixel-case.ts');
  await fs.writeFile(path.join(code, 'app.py'), app);
  await fs.writeFile(path.join(code, 'pixelnmf.py'), PIXELNMF_PY);
  const tools = path.join(dir, 'tools');
  await fs.mkdir(tools, { recursive: true });
  const { nmfpipeline, patterns } = await toolsFromDemo();
  await fs.writeFile(path.join(tools, '__init__.py'), '');
  await fs.writeFile(path.join(tools, 'dftools.py'), DFTOOLS_PY);
  await fs.writeFile(path.join(tools, 'nmfpipeline.py'), nmfpipeline);
  await fs.writeFile(path.join(tools, 'patterns.py'), patterns);
  await fs.writeFile(path.join(dir, 'training', 'train.py'), TRAIN_PY);
  const template = path.join(dir, 'template.yaml');
  const t = await fs.readFile(template, 'utf8');
  await fs.writeFile(template, t.replace('ModelUri: mlserver-model/model.npz', 'ModelUri: mlserver-model/pixelnmf.joblib'));
  await pickleInImage(dir, docker, opts.sklearnVersion);
  return { dir, labels, template };
}

/** Pickle the model in the Debian scikit-learn image, from the project's own layout. */
export async function pickleInImage(dir: string, docker: Docker, sklearnVersion?: string): Promise<void> {
  const lines: string[] = [];
  const uid = process.getuid?.() ?? 1000;
  const gid = process.getgid?.() ?? 1000;
  const { exitCode } = await runOneShotContainer(
    docker,
    {
      Image: TRAIN_IMAGE,
      Cmd: ['python3', '/p/training/train.py', '/p', ...(sklearnVersion ? [sklearnVersion] : [])],
      User: `${uid}:${gid}`,
      Env: ['PYTHONDONTWRITEBYTECODE=1', 'HOME=/tmp'],
      Labels: studioLabels({ role: 'test-pickle-pixel-case' }),
      HostConfig: { NetworkMode: 'none', Binds: [`${dir}:/p`] },
    },
    { onLine: (_s, t) => lines.push(t) },
  );
  if (exitCode !== 0) throw new Error(`pickling the pixel case failed:\n${lines.join('\n')}`);
}
