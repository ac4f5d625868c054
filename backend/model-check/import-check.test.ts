import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkImports } from './import-check';
import type { ImageModules } from './image-modules';
import { dottedUses, parsePythonSource } from './python-source';

/** An image as the listing script reports it (a few stdlib and installed modules). */
const IMAGE: ImageModules = {
  imageId: 'sha256:test',
  python: '3.11.2',
  stdlib: ['os', 'sys', 'json', 'typing', 'importlib', 'collections'],
  modules: [
    'os',
    'sys',
    'json',
    'typing',
    'importlib',
    'collections',
    'collections.abc',
    'numpy',
    'numpy.core',
    'numpy.linalg',
    'sklearn',
    'sklearn.decomposition',
    'mlserver',
    'mlserver.utils',
  ],
  distributions: { numpy: '1.24.2', 'scikit-learn': '1.2.1' },
  extraPaths: [],
};

let tmp: string;
const write = async (rel: string, text: string) => {
  await fs.mkdir(path.dirname(path.join(tmp, rel)), { recursive: true });
  await fs.writeFile(path.join(tmp, rel), text);
};

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-imports-'));
  await write(
    'model/app.py',
    [
      'import os, sys',
      'import numpy as np',
      'from numpy.linalg import norm',
      'from numpy._core import multiarray   # numpy 2 only',
      'from mlserver import MLModel',
      'import pkg.sub.leaf',
      'from pkg import helpers',
      'from tools import dftools',
      'try:',
      '    import ujson as json',
      'except ImportError:',
      '    import json',
      'from typing import TYPE_CHECKING',
      'if TYPE_CHECKING:',
      '    import pandas',
      'def predict(x):',
      '    import scipy.signal',
      '    return x',
      'if __name__ == "__main__":',
      '    import matplotlib',
      's = "import notamodule"',
      '"""',
      'import alsonotamodule',
      '"""',
      'from . import sibling',
      '',
    ].join('\n'),
  );
  await write('model/pkg/__init__.py', '');
  await write('model/pkg/helpers.py', 'from . import constants\nfrom .constants import SCALE\nfrom .. import toplevel\n');
  await write('model/pkg/constants.py', 'SCALE = 2\n');
  await write('model/pkg/sub/leaf.py', 'from ..helpers import constants  # two dots: pkg\n');
  await write('model/train.py', 'import matplotlib.pyplot as plt\n');
  await write('model/json.py', '# shadows the standard library\n');
  await write('tools/dftools.py', 'import numpy\n');
});

afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const run = () =>
  checkImports({
    codeDir: path.join(tmp, 'model'),
    projectDir: tmp,
    searchRoot: tmp,
    framework: 'MLServer',
    handlerModule: 'app',
    pickleModules: [],
    image: IMAGE,
  });

describe('static import check', () => {
  it('resolves local packages (with __init__.py), relative imports, stdlib and installed modules', async () => {
    const r = await run();
    const messages = r.findings.map((f) => `${f.severity} ${f.file ?? ''}:${f.line ?? ''} ${f.message}`);
    // resolved: os, sys, numpy, numpy.linalg.norm, mlserver, pkg.sub.leaf, pkg.helpers, . constants, .constants.SCALE, ..helpers
    for (const ok of ['pkg.sub.leaf', 'pkg.helpers', 'numpy.linalg', 'constants', 'SCALE', 'mlserver'])
      expect(messages.filter((m) => m.includes(` ${ok} `))).toEqual([]);
    expect(r.filesChecked).toBe(7);
  });

  it('names a module found elsewhere in the project, relative to the model folder, as an error with file and line', async () => {
    const r = await run();
    const f = r.findings.find((x) => x.module === 'tools.dftools');
    expect(f).toMatchObject({ severity: 'error', file: 'model/app.py', line: 8, foundAt: ['../tools/dftools.py'] });
    expect(f!.message).toMatch(
      /tools\.dftools cannot be imported: found at \.\.\/tools\/dftools\.py, outside the model folder: DIALS will not ship it/,
    );
    expect(r.missing.map((m) => m.module)).toEqual(['tools.dftools']);
  });

  it('a submodule the image’s package lacks (numpy._core in numpy 1.24) is an error naming the version', async () => {
    const f = (await run()).findings.find((x) => x.module === 'numpy._core');
    expect(f).toMatchObject({ severity: 'error', line: 4 });
    expect(f!.message).toMatch(/whose numpy is version 1\.24\.2 has no such module/);
  });

  it('a guarded import inside try/except is a warning; TYPE_CHECKING and __main__ blocks are ignored; a function import errors when called', async () => {
    const r = await run();
    expect(r.findings.find((x) => x.module === 'ujson')).toMatchObject({ severity: 'warning', line: 10 });
    expect(r.findings.find((x) => x.module === 'ujson')!.message).toMatch(/inside try\/except/);
    expect(r.findings.find((x) => x.module === 'pandas')).toBeUndefined();
    expect(r.findings.find((x) => x.module === 'matplotlib' && x.file === 'model/app.py')).toBeUndefined();
    expect(r.findings.find((x) => x.module === 'scipy.signal')).toMatchObject({ severity: 'error', line: 17 });
    expect(r.findings.find((x) => x.module === 'scipy.signal')!.message).toMatch(/fails when predict\(\) runs/);
    // strings are not imports
    expect(r.findings.some((x) => /notamodule/.test(x.message))).toBe(false);
  });

  it('relative imports: `from . import x` in a top-level module fails under MLServer; `from .. import` beyond the top', async () => {
    const r = await run();
    const rel = r.findings.find((x) => x.file === 'model/app.py' && x.line === 25)!;
    expect(rel.severity).toBe('error');
    expect(rel.message).toMatch(/attempted relative import with no known parent package/);
    const beyond = r.findings.find((x) => x.file === 'model/pkg/helpers.py' && x.line === 3)!;
    expect(beyond.message).toMatch(/beyond the top of the model folder/);
  });

  it('a file the handler never imports gets warnings, not errors; a module hiding the standard library is named', async () => {
    const r = await run();
    expect(r.findings.find((x) => x.file === 'model/train.py')).toMatchObject({ severity: 'warning', module: 'matplotlib.pyplot' });
    expect(r.findings.find((x) => x.file === 'model/train.py')!.message).toMatch(/not imported by the handler \(app\)/);
    expect(r.findings.find((x) => x.module === 'json' && !x.file)!.message).toMatch(/model\/json\.py hides the standard library’s json/);
  });

  it('without the image listing, unknown top-level modules are not judged (they may be installed); local ones still are', async () => {
    const r = await checkImports({
      codeDir: path.join(tmp, 'model'),
      projectDir: tmp,
      searchRoot: tmp,
      framework: 'MLServer',
      handlerModule: 'app',
      pickleModules: [],
      image: null,
    });
    expect(r.findings.find((x) => x.module === 'scipy.signal')).toBeUndefined();
    expect(r.findings.find((x) => x.module === 'tools.dftools')?.severity).toBe('error');
  });
});

describe('python source reader', () => {
  it('imports with parentheses, continuation lines, semicolons and inline compound statements', () => {
    const p = parsePythonSource(
      'from a.b import (x,\n   y as z)\nimport c \\\n  , d.e as f; import g\ntry: import h\nexcept ImportError: h = None\nclass K: pass\nV = 1\n',
    );
    expect(p.imports.map((i) => [i.kind, i.module, i.level, i.names, i.line, i.blocks])).toEqual([
      ['from', 'a.b', 0, [{ name: 'x' }, { name: 'y', asName: 'z' }], 1, []],
      ['import', '', 0, [{ name: 'c' }, { name: 'd.e', asName: 'f' }], 3, []],
      ['import', '', 0, [{ name: 'g' }], 4, []],
      ['import', '', 0, [{ name: 'h' }], 5, ['try']],
    ]);
    expect([...p.topLevelNames].sort()).toEqual(['K', 'V', 'c', 'f', 'g', 'h', 'x', 'z']);
  });

  it('dotted uses outside imports, not attribute chains', () => {
    const src = 'import tools.dftools\nx = tools.dftools.load(1)\ny = self.tools.dftools\n';
    const p = parsePythonSource(src);
    expect(dottedUses(p, 'tools.dftools').map((u) => src.slice(u.start, u.end))).toEqual(['tools.dftools']);
    expect(dottedUses(p, 'tools.dftools')[0].start).toBe(src.indexOf('tools.dftools.load'));
  });
});

describe('standard library fallback', () => {
  it('is a set of module names', async () => {
    const { FALLBACK_STDLIB } = await import('./stdlib-fallback');
    expect(FALLBACK_STDLIB.has('json')).toBe(true);
    expect(FALLBACK_STDLIB.has('collections')).toBe(true);
    expect(FALLBACK_STDLIB.has('numpy')).toBe(false);
  });
});
