/**
 * Vendoring — what the physicist did by hand after failed deployments: copy the local modules the
 * model folder needs (and everything they import from the project, transitively) into CodeUri as
 * flat modules, and rewrite the imports to flat local imports. The plan is shown as diffs first;
 * applying it writes atomically and keeps `<file>.dism-studio.bak` of every file it replaces; a name
 * clash refuses the whole plan. When the pickle names a module path that vendoring changes
 * (tools.dftools.LayerInfo → dftools.LayerInfo) the plan says so, and the two ways out are here:
 * alias modules (addAliases) or a re-dump of the model from the vendored code (redump).
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import type { RedumpResult, VendorPlan, VendorResult } from '@/shared/api/contract/model-check';
import { ApiError } from '@/shared/api/errors';
import { writeFileAtomic } from '../fs/atomic-write';
import { studioLabels } from '../engine/labels';
import { runOneShotContainer } from '../engine/run-container';
import { checkImports, requestsOf, type ImportCheck } from './import-check';
import { CHECK_ROLE, extraPathsFor, PYTHON_ENTRYPOINT, type ImageModules, type ImageModulesCache } from './image-modules';
import { REDUMP_SCRIPT } from './load-script';
import { detectCompression, readModelFile } from './model-file';
import { checkTarget, type CheckTarget } from './model-check';
import { indexFolder, ProjectModuleSearch, type LocalModule } from './module-index';
import { scanPickle, type PickleScan } from './pickle-scan';
import { dottedUses, parsePythonSource, type ImportStatement, type ParsedSource } from './python-source';
import { unifiedDiff } from './unified-diff';

export interface VendorDeps {
  docker: Docker | null;
  cache: ImageModulesCache;
  user?: { uid: number; gid: number };
}

const rel = (from: string, to: string) => path.relative(from, to).split(path.sep).join('/');

interface Vendored {
  /** Module name as the project imports it (tools.dftools). */
  module: string;
  flat: string;
  source: string;
  sourceRoot: string;
  text: string;
  parsed: ParsedSource;
  /** The file already in CodeUri with the same content (nothing to copy). */
  reuse: boolean;
}

async function imageOf(t: CheckTarget, deps: VendorDeps): Promise<ImageModules | null> {
  if (!deps.docker) return null;
  const present = await deps.docker
    .getImage(t.image)
    .inspect()
    .then(
      () => true,
      () => false,
    );
  return present ? deps.cache.get(deps.docker, t.image, { extraPaths: extraPathsFor(t.framework), user: deps.user }) : null;
}

async function pickleOf(t: CheckTarget): Promise<PickleScan | null> {
  if (!t.modelFile) return null;
  const m = await readModelFile(t.modelFile).catch(() => null);
  if (!m || (m.kind !== 'pickle' && m.kind !== 'zip') || !m.streams.length) return null;
  try {
    return scanPickle(m.streams[0].data);
  } catch {
    return null;
  }
}

/** The absolute module an import request names, for a file that lives as `module` under its root. */
function absoluteRequests(st: ImportStatement, module: string, isInit: boolean) {
  return requestsOf(st, module, isInit, 'MLServer').requests;
}

/** A statement rewritten so every mapped module is imported by its flat name; null when nothing changes. */
function rewriteStatement(st: ImportStatement, module: string, isInit: boolean, map: Map<string, string>): string | null {
  if (st.kind === 'import') {
    let changed = false;
    const parts = st.names.map((n) => {
      const flat = map.get(n.name);
      if (!flat) return n.asName ? `${n.name} as ${n.asName}` : n.name;
      changed = true;
      return n.asName ? `${flat} as ${n.asName}` : flat;
    });
    return changed ? `import ${parts.join(', ')}` : null;
  }
  const reqs = absoluteRequests(st, module, isInit);
  const base = reqs.find((r) => !r.attributeOf)?.name ?? '';
  const moduleImports: string[] = [];
  const rest: string[] = [];
  for (const n of st.names) {
    const sub = base ? `${base}.${n.name}` : n.name;
    const flat = map.get(sub);
    if (flat) moduleImports.push(n.asName ? `${flat} as ${n.asName}` : flat === n.name ? flat : `${flat} as ${n.name}`);
    else rest.push(n.asName ? `${n.name} as ${n.asName}` : n.name);
  }
  const baseFlat = map.get(base);
  const out: string[] = [];
  if (moduleImports.length) out.push(`import ${moduleImports.join(', ')}`);
  if (rest.length) {
    if (baseFlat) out.push(`from ${baseFlat} import ${rest.join(', ')}`);
    else if (moduleImports.length) out.push(`from ${'.'.repeat(st.level)}${st.module} import ${rest.join(', ')}`);
  }
  if (!moduleImports.length && !baseFlat) return null;
  return out.join('; ');
}

/** The text with its imports of mapped modules rewritten (and `a.b.c.x` uses of `import a.b.c` followed). */
function rewriteSource(text: string, parsed: ParsedSource, module: string, isInit: boolean, map: Map<string, string>): string {
  const edits: Array<{ start: number; end: number; text: string }> = [];
  for (const st of parsed.imports) {
    const r = rewriteStatement(st, module, isInit, map);
    if (r !== null) edits.push({ start: st.start, end: st.end, text: r });
    if (st.kind === 'import')
      for (const n of st.names) {
        const flat = map.get(n.name);
        if (flat && !n.asName && n.name.includes('.')) for (const u of dottedUses(parsed, n.name)) edits.push({ ...u, text: flat });
      }
  }
  edits.sort((a, b) => b.start - a.start);
  let out = text;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

interface PlanState {
  t: CheckTarget;
  plan: VendorPlan;
  writes: Array<{ file: string; text: string }>;
}

async function buildPlan(
  templateFile: string,
  resourceKey: string | undefined,
  deps: VendorDeps,
  imageOverride?: string,
): Promise<PlanState> {
  const t = await checkTarget(templateFile, resourceKey, imageOverride);
  const image = await imageOf(t, deps);
  const scan = await pickleOf(t);
  const pickleLocal = scan?.references.map((r) => r.module) ?? [];
  const imports: ImportCheck = await checkImports({
    codeDir: t.codeDir,
    projectDir: t.template.dir,
    searchRoot: t.searchRoot,
    framework: t.framework,
    handlerModule: t.handlerModule,
    pickleModules: pickleLocal,
    image,
  });
  const projectDir = t.template.dir;
  const refusals: string[] = [];
  const notes: string[] = [];
  const search = await ProjectModuleSearch.build(t.searchRoot, t.codeDir);
  const rootIndexes = new Map<string, Map<string, LocalModule>>();
  const indexOf = async (root: string) => {
    let idx = rootIndexes.get(root);
    if (!idx) rootIndexes.set(root, (idx = await indexFolder(root)));
    return idx;
  };
  const stdlib = imports.resolver.stdlib;
  const installed = new Set((image?.modules ?? []).map((m) => m.split('.')[0]));

  // What must come in: the modules the model folder imports from outside, and the pickle's.
  const wanted: Array<{ module: string; why: string }> = imports.missing.map((m) => ({
    module: m.module,
    why: `imported by ${m.importedFrom.map((f) => `${f.file}:${f.line}`).join(', ')}`,
  }));
  for (const r of scan?.references ?? []) {
    const res = imports.resolver.resolve(r.module);
    if (res.where === 'missing' && search.find(r.module, t.codeDir).length)
      wanted.push({ module: r.module, why: `needed by the pickle (${r.name})` });
  }
  const vendored = new Map<string, Vendored>();
  const queue = [...wanted];
  while (queue.length) {
    const { module, why } = queue.shift()!;
    if (vendored.has(module)) continue;
    const hits = search.find(module, t.codeDir);
    if (!hits.length) {
      refusals.push(`${module} (${why}) is not in the project, so it cannot be vendored.`);
      continue;
    }
    const texts = await Promise.all(hits.map((h) => fs.readFile(h, 'utf8')));
    if (new Set(texts).size > 1) {
      refusals.push(
        `${module} (${why}) exists in several versions: ${hits.map((h) => rel(t.codeDir, h)).join(', ')}. Copy the right one into the model folder yourself.`,
      );
      continue;
    }
    const source = hits[0];
    const sourceRoot = ProjectModuleSearch.rootFor(source, module);
    const flat = path.basename(source) === '__init__.py' ? module.split('.').pop()! : path.basename(source, '.py');
    const parsed = parsePythonSource(texts[0]);
    vendored.set(module, { module, flat, source, sourceRoot, text: texts[0], parsed, reuse: false });
    const pkgInit = path.join(path.dirname(source), '__init__.py');
    if (module.includes('.') && path.basename(source) !== '__init__.py') {
      const initText = await fs.readFile(pkgInit, 'utf8').catch(() => '');
      if (initText.replace(/#.*$/gm, '').trim())
        notes.push(`${rel(t.codeDir, pkgInit)} runs code when ${module} is imported; it is not vendored (flat modules have no package).`);
    }
    // What the vendored module imports from the same source tree comes too.
    const idx = await indexOf(sourceRoot);
    for (const st of parsed.imports) {
      for (const rq of absoluteRequests(st, module, path.basename(source) === '__init__.py')) {
        const name = rq.name;
        if (imports.local.has(name.split('.')[0])) continue;
        if (idx.has(name) && idx.get(name)!.kind !== 'namespace') {
          if (!vendored.has(name)) queue.push({ module: name, why: `imported by ${rel(projectDir, source)}:${st.line}` });
        } else if (
          !rq.attributeOf &&
          !idx.has(name.split('.')[0]) &&
          !stdlib.has(name.split('.')[0]) &&
          image &&
          !installed.has(name.split('.')[0])
        )
          notes.push(`${rel(projectDir, source)}:${st.line} imports ${name}, which is neither in the project nor in the image.`);
      }
    }
  }

  // Names: unique, not hiding the standard library or an installed package, not clashing with CodeUri.
  const byFlat = new Map<string, Vendored[]>();
  for (const v of vendored.values()) byFlat.set(v.flat, [...(byFlat.get(v.flat) ?? []), v]);
  for (const [flat, vs] of byFlat) {
    if (vs.length > 1)
      refusals.push(
        `Name clash: ${vs.map((v) => `${v.module} (${rel(t.codeDir, v.source)})`).join(' and ')} would both become ${flat}.py in the model folder.`,
      );
    if (stdlib.has(flat) || installed.has(flat))
      refusals.push(
        `Name clash: ${vs[0].module} would become ${flat}.py and hide the ${stdlib.has(flat) ? 'standard library’s' : 'installed'} ${flat} for every module of the server.`,
      );
    const existing = imports.local.get(flat);
    if (existing) {
      const text = await fs.readFile(existing.file, 'utf8').catch(() => null);
      // The same source, copied as it is or vendored by us earlier (our header names it): already there.
      if (existing.kind === 'module' && (text === vs[0].text || text?.startsWith(vendoredHeader(t.codeDir, vs[0])))) vs[0].reuse = true;
      else
        refusals.push(
          `Name clash: the model folder already has ${rel(projectDir, existing.file)}, different from ${rel(projectDir, vs[0].source)} (${vs[0].module}). Rename one of them, then vendor again.`,
        );
    }
  }

  const map = new Map([...vendored.values()].map((v) => [v.module, v.flat]));
  const files: VendorPlan['files'] = [];
  const writes: PlanState['writes'] = [];
  if (!refusals.length) {
    for (const [mod, { rel: r, parsed }] of imports.sources) {
      const file = path.join(t.codeDir, r);
      const text = await fs.readFile(file, 'utf8');
      const next = rewriteSource(text, parsed, mod, r.endsWith('__init__.py'), map);
      if (next !== text) {
        const shown = rel(projectDir, file);
        files.push({ path: shown, action: 'rewrite', diff: unifiedDiff(text, next, `a/${shown}`, `b/${shown}`) });
        writes.push({ file, text: next });
      }
    }
    for (const v of vendored.values()) {
      if (v.reuse) continue;
      const file = path.join(t.codeDir, `${v.flat}.py`);
      const next = rewriteSource(v.text, v.parsed, v.module, path.basename(v.source) === '__init__.py', map);
      const header = vendoredHeader(t.codeDir, v);
      const shown = rel(projectDir, file);
      files.push({
        path: shown,
        action: 'copy',
        from: rel(projectDir, v.source),
        diff: unifiedDiff('', header + next, '/dev/null', `b/${shown}`),
      });
      writes.push({ file, text: header + next });
    }
  }
  const pickleChanges: VendorPlan['pickleChanges'] = [];
  for (const r of scan?.references ?? []) {
    const flat = map.get(r.module);
    if (flat) pickleChanges.push({ pickled: `${r.module}.${r.name}`, becomes: `${flat}.${r.name}`, paths: r.paths });
  }
  if (pickleChanges.length)
    notes.push(
      `The pickled model names ${pickleChanges.map((c) => c.pickled).join(', ')}; after vendoring that module path no longer exists in the model folder, so the model would not unpickle. Re-dump the model from the vendored code (recommended), or add alias modules.`,
    );
  const planId = createHash('sha256')
    .update(JSON.stringify(writes.map((w) => [w.file, w.text])))
    .update(JSON.stringify(await Promise.all(writes.map((w) => fs.readFile(w.file, 'utf8').catch(() => null)))))
    .digest('hex')
    .slice(0, 16);
  return {
    t,
    writes,
    plan: {
      templateFile: t.template.file,
      resourceKey: t.resource.key,
      codeDir: t.codeDir,
      planId,
      modules: [...vendored.values()].map((v) => ({ module: v.module, flatName: v.flat, from: rel(projectDir, v.source) })),
      files,
      refusals,
      notes,
      pickleChanges,
    },
  };
}

export async function vendorPlan(
  templateFile: string,
  resourceKey: string | undefined,
  deps: VendorDeps,
  image?: string,
): Promise<VendorPlan> {
  return (await buildPlan(templateFile, resourceKey, deps, image)).plan;
}

/** The first line of a vendored copy: says where it came from, and lets a second vendoring recognise it. */
function vendoredHeader(codeDir: string, v: Pick<Vendored, 'source' | 'module'>): string {
  return `# Vendored by DISM Studio from ${rel(codeDir, v.source)} (module ${v.module}); imports made flat.\n`;
}

export async function vendorApply(
  templateFile: string,
  resourceKey: string | undefined,
  planId: string,
  deps: VendorDeps,
  image?: string,
): Promise<VendorResult> {
  const { plan, writes } = await buildPlan(templateFile, resourceKey, deps, image);
  if (plan.refusals.length)
    throw new ApiError(
      'VENDOR_REFUSED',
      `Vendoring refused: ${plan.refusals.join(' ')} Nothing was written.`,
      { refusals: plan.refusals },
      'VendorRefusedError',
    );
  if (plan.planId !== planId)
    throw new ApiError(
      'PLAN_CHANGED',
      'The files changed since the vendoring plan was shown; look at the new plan and apply that. Nothing was written.',
      { planId: plan.planId },
      'PlanChangedError',
    );
  if (!writes.length)
    throw new ApiError(
      'NOTHING_TO_VENDOR',
      'The model folder imports nothing from outside it: there is nothing to vendor.',
      undefined,
      'NothingToVendorError',
    );
  const written: string[] = [];
  const backups: string[] = [];
  for (const w of writes) {
    const exists = await fs.stat(w.file).then(
      () => true,
      () => false,
    );
    const r = await writeFileAtomic(w.file, w.text, { backup: exists });
    written.push(r.file);
    if (r.backupPath) backups.push(r.backupPath);
  }
  return { written, backups, pickleChanges: plan.pickleChanges };
}

/** The old module paths the pickle names → the vendored flat modules (for aliases and re-dumps). */
async function pickleRenames(t: CheckTarget): Promise<Map<string, string>> {
  const scan = await pickleOf(t);
  const local = await indexFolder(t.codeDir);
  const out = new Map<string, string>();
  for (const r of scan?.references ?? []) {
    if (local.has(r.module.split('.')[0])) continue;
    const flat = r.module.split('.').pop()!;
    const m = local.get(flat);
    if (!m || m.kind !== 'module') continue;
    const head = await fs.readFile(m.file, 'utf8').then((x) => x.split('\n', 1)[0]);
    // Only modules vendoring made (their first line says where they came from).
    if (head.includes(`(module ${r.module})`)) out.set(r.module, flat);
  }
  return out;
}

/**
 * Way out 1: alias modules. For a pickle naming tools.dftools.LayerInfo after dftools was vendored,
 * CodeUri gets tools/__init__.py (empty) and tools/dftools.py containing `from dftools import *`
 * plus the private names, so unpickling finds the very same classes. The vendored module stays the
 * one real copy.
 */
export async function addAliases(templateFile: string, resourceKey: string | undefined): Promise<VendorResult> {
  const t = await checkTarget(templateFile, resourceKey);
  const renames = await pickleRenames(t);
  if (!renames.size)
    throw new ApiError(
      'NOTHING_TO_ALIAS',
      'The pickled model names no module path that vendoring changed: no alias is needed.',
      undefined,
      'NothingToAliasError',
    );
  const written: string[] = [];
  const backups: string[] = [];
  const local = await indexFolder(t.codeDir);
  for (const [old, flat] of renames) {
    const parts = old.split('.');
    if (local.has(parts[0]) && local.get(parts[0])!.kind === 'module')
      throw new ApiError(
        'NAME_CLASH',
        `Cannot add the alias package ${parts[0]}/: the model folder has a module ${parts[0]}.py.`,
        undefined,
        'NameClashError',
      );
    for (let i = 1; i < parts.length; i++) {
      const init = path.join(t.codeDir, ...parts.slice(0, i), '__init__.py');
      if (
        !(await fs.stat(init).then(
          () => true,
          () => false,
        ))
      ) {
        await writeFileAtomic(init, '# Alias package made by DISM Studio so the pickled model’s module paths import.\n');
        written.push(init);
      }
    }
    const file = path.join(t.codeDir, ...parts) + '.py';
    const text = `# Alias made by DISM Studio: the pickled model names ${old}, which was vendored as ${flat}.py.\nimport sys as _sys\n\nimport ${flat} as _vendored\n\n_sys.modules[__name__] = _vendored\n`;
    const exists = await fs.stat(file).then(
      () => true,
      () => false,
    );
    const r = await writeFileAtomic(file, text, { backup: exists });
    written.push(r.file);
    if (r.backupPath) backups.push(r.backupPath);
  }
  return { written, backups, pickleChanges: [...renames].map(([from, to]) => ({ pickled: from, becomes: to, paths: [] })) };
}

/**
 * Way out 2: re-dump. Load the model in the runtime image with the old module paths mapped to the
 * vendored modules, pickle it again (joblib with the same compression, or pickle), and replace
 * ModelUri atomically, keeping the old file as <file>.dism-studio.bak.
 */
export async function redumpModel(
  docker: Docker,
  opts: {
    templateFile: string;
    resourceKey?: string;
    image?: string;
    user?: { uid: number; gid: number };
    signal?: AbortSignal;
    onLine?: (t: string) => void;
  },
): Promise<RedumpResult> {
  const t = await checkTarget(opts.templateFile, opts.resourceKey, opts.image);
  if (!t.modelFile)
    throw new ApiError('NOTHING_TO_REDUMP', `Resources.${t.resource.key} has no ModelUri.`, undefined, 'NothingToRedumpError');
  const renames = await pickleRenames(t);
  if (!renames.size)
    throw new ApiError(
      'NOTHING_TO_REDUMP',
      'The pickled model names no module path that vendoring changed: there is nothing to re-dump.',
      undefined,
      'NothingToRedumpError',
    );
  const head = new Uint8Array(await fs.readFile(t.modelFile)).subarray(0, 8);
  const compression = detectCompression(head);
  const compress = compression === 'none' ? 0 : compression === 'zfile' ? ['zlib', 3] : [compression, 3];
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-redump-'));
  const lines: string[] = [];
  try {
    const out = path.join(work, 'out');
    await fs.mkdir(out);
    const user = opts.user ?? { uid: process.getuid?.() ?? 1000, gid: process.getgid?.() ?? 1000 };
    await fs.chown(out, user.uid, user.gid).catch(() => undefined);
    await fs.chmod(out, 0o777).catch(() => undefined);
    await fs.writeFile(path.join(work, 'redump.py'), REDUMP_SCRIPT);
    await fs.writeFile(
      path.join(work, 'config.json'),
      JSON.stringify({ codeDir: '/dism/code', modelFile: '/dism/model.in', renames: Object.fromEntries(renames), compress }),
    );
    const { exitCode } = await runOneShotContainer(
      docker,
      {
        Image: t.image,
        Entrypoint: PYTHON_ENTRYPOINT,
        Cmd: ['/dism/redump.py', '/dism/config.json', '/dism/out'],
        User: `${user.uid}:${user.gid}`,
        Env: ['HOME=/tmp', 'PYTHONDONTWRITEBYTECODE=1'],
        WorkingDir: '/tmp',
        Labels: studioLabels({ role: CHECK_ROLE, project: t.template.dir }),
        HostConfig: {
          NetworkMode: 'none',
          Binds: [
            `${path.join(work, 'redump.py')}:/dism/redump.py:ro`,
            `${path.join(work, 'config.json')}:/dism/config.json:ro`,
            `${t.codeDir}:/dism/code:ro`,
            `${t.modelFile}:/dism/model.in:ro`,
            `${out}:/dism/out`,
          ],
        },
      },
      {
        signal: opts.signal,
        onLine: (_s, text) => {
          lines.push(text);
          opts.onLine?.(text);
        },
      },
    );
    const result = await fs
      .readFile(path.join(out, 'result.json'), 'utf8')
      .then((x) => JSON.parse(x) as { ok: boolean; error?: string; renamed: Array<{ from: string; to: string }> })
      .catch(() => null);
    if (!result?.ok || exitCode !== 0)
      throw new ApiError(
        'REDUMP_FAILED',
        `Re-dumping ${path.basename(t.modelFile)} in ${t.image} failed: ${result?.error ?? `exit code ${exitCode}`}. The model file was not changed.`,
        { output: lines.slice(-40) },
        'RedumpError',
      );
    const data = await fs.readFile(path.join(out, 'model.out'));
    // Never leave a model that silently fails to unpickle: the new stream must name the vendored modules only.
    const check = await readModelFile(path.join(out, 'model.out'));
    if (check.kind === 'pickle') {
      const s = scanPickle(check.streams[0].data);
      const stale = s.references.filter((r) => renames.has(r.module));
      if (stale.length)
        throw new ApiError(
          'REDUMP_FAILED',
          `The re-dumped model still names ${stale.map((r) => `${r.module}.${r.name}`).join(', ')}; the model file was not changed.`,
          undefined,
          'RedumpError',
        );
    }
    const w = await writeFileAtomic(t.modelFile, data, { backup: true });
    return { modelFile: w.file, backup: w.backupPath, image: t.image, renamed: result.renamed };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}
