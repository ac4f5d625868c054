/**
 * Which Python modules a folder provides when it is on sys.path (the model folder, CodeUri), and
 * where a module missing from it lives elsewhere in the project tree ("found at ../tools/dftools.py").
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';

export interface LocalModule {
  /** Dotted module name as Python imports it with the folder on sys.path. */
  name: string;
  /** Absolute file: the .py, a package's __init__.py, or the folder of a namespace package. */
  file: string;
  kind: 'module' | 'package' | 'namespace' | 'extension';
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Folders never searched: build output, VCS, environments, caches. */
const SKIP_DIRS = new Set([
  '.git',
  '.hg',
  '.svn',
  'node_modules',
  '__pycache__',
  '.dism-artifacts',
  '.dism-studio',
  '.venv',
  'venv',
  'env',
  '.tox',
  '.mypy_cache',
  '.pytest_cache',
  '.ipynb_checkpoints',
  'site-packages',
  'dist-packages',
]);

const EXT_RE = /^([A-Za-z_][A-Za-z0-9_]*)(\.[a-z0-9_-]+)*\.(so|pyd)$/;

/** Every importable module of `root` (as a sys.path entry), by dotted name. */
export async function indexFolder(root: string, maxFiles = 20_000): Promise<Map<string, LocalModule>> {
  const out = new Map<string, LocalModule>();
  let seen = 0;
  const walk = async (dir: string, prefix: string, depth: number) => {
    if (depth > 12 || seen > maxFiles) return;
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      seen++;
      const abs = path.join(dir, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        const st = await fs.stat(abs).catch(() => null);
        isDir = Boolean(st?.isDirectory());
        isFile = Boolean(st?.isFile());
      }
      if (isDir && IDENT.test(e.name) && !SKIP_DIRS.has(e.name)) {
        const name = prefix + e.name;
        const init = path.join(abs, '__init__.py');
        const hasInit = await fs.stat(init).then(
          (s) => s.isFile(),
          () => false,
        );
        // Python's finder: a regular package beats a module of the same name, which beats a namespace folder.
        if (hasInit || !out.has(name)) out.set(name, { name, file: hasInit ? init : abs, kind: hasInit ? 'package' : 'namespace' });
        await walk(abs, `${name}.`, depth + 1);
      } else if (isFile && e.name.endsWith('.py') && e.name !== '__init__.py' && IDENT.test(e.name.slice(0, -3))) {
        const name = prefix + e.name.slice(0, -3);
        const prev = out.get(name);
        if (!prev || prev.kind === 'namespace') out.set(name, { name, file: abs, kind: 'module' });
      } else if (isFile) {
        const m = EXT_RE.exec(e.name);
        if (m && !out.has(prefix + m[1])) out.set(prefix + m[1], { name: prefix + m[1], file: abs, kind: 'extension' });
      }
    }
  };
  await walk(root, '', 0);
  return out;
}

/** Every .py file under a folder (relative paths, sorted), skipping the folders in SKIP_DIRS. */
export async function pythonFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, rel: string, depth: number) => {
    if (depth > 12 || out.length > 5000) return;
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      const abs = path.join(dir, e.name);
      const st = e.isSymbolicLink() ? await fs.stat(abs).catch(() => null) : e;
      if (!st) continue;
      if (st.isDirectory() && !SKIP_DIRS.has(e.name)) await walk(abs, r, depth + 1);
      else if (st.isFile() && e.name.endsWith('.py')) out.push(r);
    }
  };
  await walk(root, '', 0);
  return out;
}

/** The module name of a file relative to its sys.path folder ('pkg/mod.py' → 'pkg.mod', 'pkg/__init__.py' → 'pkg'). */
export function moduleNameOf(rel: string): string {
  const parts = rel.replace(/\\/g, '/').replace(/\.py$/, '').split('/');
  if (parts[parts.length - 1] === '__init__') parts.pop();
  return parts.join('.');
}

/**
 * Where modules missing from the model folder are found elsewhere in the project tree: every
 * .py file outside `exclude` (the model folder), indexed by each dotted suffix of its path, so
 * `dftools` finds utils/dftools.py and `tools.dftools` finds src/tools/dftools.py.
 */
export class ProjectModuleSearch {
  private bySuffix = new Map<string, string[]>();
  private constructor(readonly root: string) {}

  static async build(root: string, exclude: string): Promise<ProjectModuleSearch> {
    const s = new ProjectModuleSearch(root);
    for (const rel of await pythonFiles(root)) {
      const abs = path.join(root, rel);
      if (abs === exclude || abs.startsWith(exclude + path.sep)) continue;
      const parts = moduleNameOf(rel).split('.');
      if (!parts.every((p) => IDENT.test(p))) continue;
      for (let i = 0; i < parts.length; i++) {
        const key = parts.slice(i).join('.');
        if (!key) continue;
        const list = s.bySuffix.get(key) ?? [];
        list.push(abs);
        s.bySuffix.set(key, list);
      }
    }
    return s;
  }

  /** Files that provide `module` (a dotted name), nearest the model folder first. */
  find(module: string, near: string): string[] {
    const hits = this.bySuffix.get(module) ?? [];
    return [...hits].sort(
      (a, b) => path.relative(near, a).split(path.sep).length - path.relative(near, b).split(path.sep).length || a.localeCompare(b),
    );
  }

  /**
   * The folder that acts as the sys.path entry for `file` providing `module`: for
   * src/tools/dftools.py providing tools.dftools, that is src/.
   */
  static rootFor(file: string, module: string): string {
    const depth = module.split('.').length;
    let dir = path.dirname(file);
    const ups = path.basename(file) === '__init__.py' ? depth : depth - 1;
    for (let i = 0; i < ups; i++) dir = path.dirname(dir);
    return dir;
  }
}
