/**
 * The Python modules a runtime image provides: listed once per image id by walking the image's
 * sys.path inside a one-shot container (no network, nothing imported but the standard `sys`,
 * `os`, `importlib.machinery`/`importlib.metadata`), and cached in the user-data folder under that id,
 * so the next check of any model on the same image costs nothing.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { writeFileAtomic } from '../fs/atomic-write';
import { runOneShotContainer } from '../engine/run-container';
import { studioLabels } from '../engine/labels';

export const CHECK_ROLE = 'model-check';

/** Bump when the listing script changes what it writes: older cache entries are then ignored. */
const LISTING_VERSION = 2;

export interface ImageModules {
  imageId: string;
  python: string;
  /** sys.stdlib_module_names (3.10+) or the standard library folder's top-level names. */
  stdlib: string[];
  /** Every dotted module name importable from the image's sys.path (plus the framework's extra folders). */
  modules: string[];
  /** Installed distributions: normalised name → version. */
  distributions: Record<string, string>;
  /** Extra folders the server puts on sys.path that were listed too (Triton's Python backend). */
  extraPaths: string[];
}

/** A python3 (or python) inside the image, whatever its PATH. */
export const PYTHON_ENTRYPOINT = ['/bin/sh', '-c', 'exec "$(command -v python3 || command -v python)" "$@"', 'python'];

export const LIST_SCRIPT = String.raw`
import json, os, sys
from importlib import machinery
extra = [p for p in sys.argv[2:] if os.path.isdir(p)]
out_file = sys.argv[1]
suffixes = sorted(set(machinery.EXTENSION_SUFFIXES + [".so", ".pyd"]), key=len, reverse=True)
modules = set(sys.builtin_module_names)
def ident(n):
    return n.isidentifier()
def walk(d, prefix, depth):
    if depth > 10:
        return
    try:
        entries = sorted(os.listdir(d))
    except OSError:
        return
    for e in entries:
        p = os.path.join(d, e)
        if os.path.isdir(p):
            if ident(e) and e != "__pycache__":
                modules.add(prefix + e)
                walk(p, prefix + e + ".", depth + 1)
        elif e.endswith(".py") and ident(e[:-3]) and e != "__init__.py":
            modules.add(prefix + e[:-3])
        else:
            for s in suffixes:
                if e.endswith(s) and ident(e[: -len(s)]):
                    modules.add(prefix + e[: -len(s)])
                    break
here = os.getcwd()
for entry in [p for p in sys.path if p and os.path.abspath(p) != here] + extra:
    if os.path.isdir(entry):
        walk(entry, "", 0)
stdlib = sorted(getattr(sys, "stdlib_module_names", ()))
if not stdlib:
    import sysconfig
    std = sysconfig.get_paths()["stdlib"]
    stdlib = sorted(set(n[:-3] if n.endswith(".py") else n for n in os.listdir(std) if ident(n[:-3] if n.endswith(".py") else n)) | set(sys.builtin_module_names))
dists = {}
try:
    from importlib import metadata
    for d in metadata.distributions():
        name = (d.metadata["Name"] or "").lower().replace("_", "-")
        if name:
            dists[name] = d.version
except Exception as e:
    print("could not list distributions: %s" % e, file=sys.stderr)
with open(out_file, "w") as f:
    json.dump({"python": sys.version.split()[0], "stdlib": stdlib, "modules": sorted(modules), "distributions": dists, "extraPaths": extra}, f)
print("listed %d modules" % len(modules))
`;

/** Folders a server adds to sys.path besides the image's own. */
export function extraPathsFor(framework: 'MLServer' | 'Tritonserver'): string[] {
  return framework === 'Tritonserver' ? ['/opt/tritonserver/backends/python'] : [];
}

export class ImageModulesCache {
  private memory = new Map<string, ImageModules>();
  constructor(private readonly dir: string) {}

  private file(imageId: string, extra: string[]): string {
    const key = `${imageId.replace(/^sha256:/, '').slice(0, 32)}${extra.length ? `-${Buffer.from(extra.join(':')).toString('hex').slice(0, 16)}` : ''}`;
    return path.join(this.dir, `v${LISTING_VERSION}-${key}.json`);
  }

  /** The image's modules, from the cache when this image id was listed before. */
  async get(
    docker: Docker,
    image: string,
    opts: { extraPaths?: string[]; signal?: AbortSignal; onLine?: (t: string) => void; user?: { uid: number; gid: number } } = {},
  ): Promise<ImageModules & { cached: boolean }> {
    const imageId = (await docker.getImage(image).inspect()).Id;
    const extra = opts.extraPaths ?? [];
    const file = this.file(imageId, extra);
    const mem = this.memory.get(file);
    if (mem) return { ...mem, cached: true };
    const onDisk = await fs
      .readFile(file, 'utf8')
      .then((t) => JSON.parse(t) as ImageModules)
      .catch(() => null);
    if (onDisk && onDisk.imageId === imageId) {
      this.memory.set(file, onDisk);
      return { ...onDisk, cached: true };
    }
    const work = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-image-modules-'));
    try {
      await fs.writeFile(path.join(work, 'list.py'), LIST_SCRIPT);
      const out = path.join(work, 'out');
      await fs.mkdir(out);
      const user = opts.user ?? { uid: process.getuid?.() ?? 1000, gid: process.getgid?.() ?? 1000 };
      await fs.chown(out, user.uid, user.gid).catch(() => undefined);
      await fs.chmod(out, 0o777).catch(() => undefined);
      const lines: string[] = [];
      const { exitCode } = await runOneShotContainer(
        docker,
        {
          Image: image,
          Entrypoint: PYTHON_ENTRYPOINT,
          Cmd: ['/dism/list.py', '/dism/out/modules.json', ...extra],
          User: `${user.uid}:${user.gid}`,
          Env: ['HOME=/tmp', 'PYTHONDONTWRITEBYTECODE=1'],
          WorkingDir: '/tmp',
          Labels: studioLabels({ role: CHECK_ROLE }),
          HostConfig: { NetworkMode: 'none', Binds: [`${path.join(work, 'list.py')}:/dism/list.py:ro`, `${out}:/dism/out`] },
        },
        {
          signal: opts.signal,
          onLine: (_s, t) => {
            lines.push(t);
            opts.onLine?.(t);
          },
        },
      );
      const raw = await fs.readFile(path.join(out, 'modules.json'), 'utf8').catch(() => null);
      if (exitCode !== 0 || !raw)
        throw new Error(
          `Could not list the Python modules of ${image} (exit code ${exitCode}): ${lines.slice(-5).join(' | ') || 'no output'}. Does the image have python3?`,
        );
      const listed = { ...(JSON.parse(raw) as Omit<ImageModules, 'imageId'>), imageId };
      await writeFileAtomic(file, JSON.stringify(listed)).catch(() => undefined);
      this.memory.set(file, listed);
      return { ...listed, cached: false };
    } finally {
      await fs.rm(work, { recursive: true, force: true });
    }
  }
}
