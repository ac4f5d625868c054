/**
 * The static import check: every import of every .py under CodeUri resolved the way the model
 * server's Python will resolve it — against CodeUri itself (the server puts it on sys.path), the
 * standard library and the packages installed in the runtime image — without running anything.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { CheckFinding } from '@/shared/api/contract/model-check';
import type { ImageModules } from './image-modules';
import { indexFolder, moduleNameOf, ProjectModuleSearch, pythonFiles, type LocalModule } from './module-index';
import { parsePythonSource, type ImportStatement, type ParsedSource } from './python-source';
import { FALLBACK_STDLIB } from './stdlib-fallback';

export type Framework = 'MLServer' | 'Tritonserver';

/** Where a module name resolves. */
export type Resolution =
  | { where: 'local'; module: LocalModule }
  | { where: 'stdlib' | 'installed' }
  /** The image has the top-level package but not this submodule (e.g. numpy._core in numpy 1.x). */
  | { where: 'missing-submodule'; top: string }
  | { where: 'missing' }
  /** The image was not listed: an installed package cannot be told from a missing one. */
  | { where: 'unknown' };

export class ModuleResolver {
  private readonly imageModules: Set<string> | null;
  readonly stdlib: ReadonlySet<string>;
  constructor(
    readonly local: Map<string, LocalModule>,
    readonly image: ImageModules | null,
  ) {
    this.imageModules = image ? new Set(image.modules) : null;
    this.stdlib = image ? new Set(image.stdlib) : FALLBACK_STDLIB;
  }

  resolve(name: string): Resolution {
    const top = name.split('.')[0];
    // CodeUri comes first on sys.path: a local module shadows everything else.
    if (this.local.has(top)) {
      const m = this.local.get(name);
      return m ? { where: 'local', module: m } : { where: 'missing' };
    }
    if (this.imageModules) {
      if (this.imageModules.has(name)) return { where: this.stdlib.has(top) ? 'stdlib' : 'installed' };
      if (this.imageModules.has(top)) return { where: 'missing-submodule', top };
      return { where: 'missing' };
    }
    if (this.stdlib.has(top)) return { where: 'stdlib' };
    return { where: 'unknown' };
  }

  /** The distribution version that provides a top-level package, when the image says (sklearn → scikit-learn). */
  versionOf(top: string): string | undefined {
    const d = this.image?.distributions ?? {};
    const names: Record<string, string> = { sklearn: 'scikit-learn', yaml: 'pyyaml', PIL: 'pillow', cv2: 'opencv-python' };
    return d[names[top] ?? top.toLowerCase().replace(/_/g, '-')];
  }
}

/** One module an import asks for. */
export interface ModuleRequest {
  /** Dotted module name asked for. */
  name: string;
  /** For `from X import n`: n may be an attribute of X rather than a module. */
  attributeOf?: string;
  statement: ImportStatement;
}

/** The package a module's relative imports start from. */
function packageOf(moduleName: string, isInit: boolean): string {
  if (isInit) return moduleName;
  const parts = moduleName.split('.');
  parts.pop();
  return parts.join('.');
}

/** The modules one import statement asks for; a relative import that cannot work gives an error text instead. */
export function requestsOf(
  st: ImportStatement,
  moduleName: string,
  isInit: boolean,
  framework: Framework,
): { requests: ModuleRequest[]; error?: string } {
  if (st.kind === 'import') return { requests: st.names.map((n) => ({ name: n.name, statement: st })) };
  let base = st.module;
  if (st.level > 0) {
    const pkg = packageOf(moduleName, isInit);
    // Triton imports model.py as "<version>.model": the version folder is a package there.
    const root = framework === 'Tritonserver' ? ['<version>'] : [];
    const parts = [...root, ...(pkg ? pkg.split('.') : [])];
    if (parts.length === 0 && framework === 'MLServer')
      return {
        requests: [],
        error: `relative import ("from ${'.'.repeat(st.level)}${st.module} import …") in a top-level module: MLServer imports the files of the model folder as top-level modules, so Python stops with "attempted relative import with no known parent package". Write it as "from ${st.module || st.names[0].name} import …".`,
      };
    if (st.level > parts.length)
      return {
        requests: [],
        error: `relative import goes ${st.level} levels up, beyond the top of the model folder ("attempted relative import beyond top-level package")`,
      };
    const anchor = parts.slice(root.length, parts.length - (st.level - 1)).join('.');
    base = [anchor, st.module].filter(Boolean).join('.');
  }
  if (!base) {
    // `from . import x` at the top of the model folder (Triton's version folder is a package).
    return { requests: st.names.filter((n) => n.name !== '*').map((n) => ({ name: n.name, statement: st })) };
  }
  const requests: ModuleRequest[] = [{ name: base, statement: st }];
  for (const n of st.names) if (n.name !== '*') requests.push({ name: `${base}.${n.name}`, attributeOf: base, statement: st });
  return { requests };
}

export interface MissingModule {
  /** As the import names it. */
  module: string;
  /** Files in the project that provide it (absolute), nearest first. */
  candidates: string[];
  /** Where it is imported (relative to the project folder). */
  importedFrom: Array<{ file: string; line: number }>;
}

export interface ImportCheck {
  findings: CheckFinding[];
  missing: MissingModule[];
  /** Parsed sources of CodeUri by module name. */
  sources: Map<string, { rel: string; parsed: ParsedSource }>;
  local: Map<string, LocalModule>;
  resolver: ModuleResolver;
  filesChecked: number;
  importsChecked: number;
  reachable: Set<string>;
}

function where(st: ImportStatement): string {
  if (st.blocks.includes('try') || st.blocks.includes('except')) return 'guarded';
  if (st.blocks.includes('type-checking')) return 'type-checking';
  if (st.blocks.includes('main')) return 'main';
  if (st.inFunction) return 'function';
  if (st.blocks.includes('if') || st.blocks.includes('else')) return 'conditional';
  return 'top';
}

export interface ImportCheckInput {
  codeDir: string;
  /** The folder paths in messages are relative to (the template's). */
  projectDir: string;
  /** Where to look for modules missing from CodeUri (the project tree). */
  searchRoot: string;
  framework: Framework;
  /** Module the server imports first: MLServer's Handler module, Triton's `model`. */
  handlerModule: string;
  /** Modules the pickle imports (module names), so their files count as used. */
  pickleModules: string[];
  image: ImageModules | null;
}

export async function checkImports(input: ImportCheckInput): Promise<ImportCheck> {
  const { codeDir, projectDir, framework } = input;
  const local = await indexFolder(codeDir);
  const resolver = new ModuleResolver(local, input.image);
  const sources = new Map<string, { rel: string; parsed: ParsedSource }>();
  for (const rel of await pythonFiles(codeDir)) {
    const text = await fs.readFile(path.join(codeDir, rel), 'utf8').catch(() => null);
    if (text === null) continue;
    sources.set(moduleNameOf(rel), { rel, parsed: parsePythonSource(text) });
  }
  const shown = (rel: string) => path.relative(projectDir, path.join(codeDir, rel)).split(path.sep).join('/');

  const search = await ProjectModuleSearch.build(input.searchRoot, codeDir);
  const projectHas = (m: string) => search.find(m, codeDir).length > 0;
  // Resolve every request; keep edges between local modules to know what the server really imports.
  const edges = new Map<string, Set<string>>();
  type Problem = {
    module: string;
    rel: string;
    st: ImportStatement;
    kind: 'missing' | 'submodule' | 'relative';
    text?: string;
    top?: string;
  };
  const problems: Problem[] = [];
  let importsChecked = 0;
  for (const [mod, { rel, parsed }] of sources) {
    const isInit = rel.endsWith('__init__.py');
    for (const st of parsed.imports) {
      importsChecked++;
      const { requests, error } = requestsOf(st, mod, isInit, framework);
      if (error) problems.push({ module: st.module, rel, st, kind: 'relative', text: error });
      for (const rq of requests) {
        const r = resolver.resolve(rq.name);
        if (r.where === 'local') {
          const set = edges.get(mod) ?? new Set<string>();
          set.add(rq.name);
          edges.set(mod, set);
          continue;
        }
        if (r.where === 'stdlib' || r.where === 'installed') continue;
        // Without the image listing, a name is judged only when the project tree has it (then it is a local module).
        if (
          r.where === 'unknown' &&
          !projectHas(rq.name) &&
          !(st.kind === 'from' && st.names.some((n) => projectHas(`${rq.name}.${n.name}`)))
        )
          continue;
        // `from X import n`: n is an attribute of X when X itself resolves.
        if (
          rq.attributeOf &&
          resolver.resolve(rq.attributeOf).where !== 'missing' &&
          resolver.resolve(rq.attributeOf).where !== 'missing-submodule'
        )
          continue;
        if (rq.attributeOf) continue; // X itself is reported by its own request
        // `from tools import dftools` with tools missing: what is really needed is the module tools.dftools
        // when the project has it; report that (one per name) instead of the bare package.
        if (r.where !== 'missing-submodule' && st.kind === 'from' && rq.name !== st.module) {
          problems.push({ module: rq.name, rel, st, kind: 'missing' });
          continue;
        }
        if (r.where !== 'missing-submodule' && st.kind === 'from') {
          const subs = st.names.filter((n) => n.name !== '*').map((n) => `${rq.name}.${n.name}`);
          const found = subs.filter((s) => projectHas(s));
          if (found.length) {
            for (const s of found) problems.push({ module: s, rel, st, kind: 'missing' });
            continue;
          }
        }
        problems.push({
          module: rq.name,
          rel,
          st,
          kind: r.where === 'missing-submodule' ? 'submodule' : 'missing',
          top: r.where === 'missing-submodule' ? r.top : undefined,
        });
      }
    }
  }

  // What the server imports: the handler module, the pickle's local modules, and what they import.
  const reachable = new Set<string>();
  const queue = [input.handlerModule, ...input.pickleModules].filter((m) => local.has(m) || sources.has(m));
  const withParents = (m: string) => m.split('.').map((_, i, a) => a.slice(0, i + 1).join('.'));
  while (queue.length) {
    const m = queue.shift()!;
    for (const p of withParents(m)) {
      if (reachable.has(p)) continue;
      reachable.add(p);
      for (const e of edges.get(p) ?? []) queue.push(e);
    }
  }

  const missingByName = new Map<string, MissingModule>();
  const findings: CheckFinding[] = [];
  const relFromCode = (abs: string) => path.relative(codeDir, abs).split(path.sep).join('/');
  for (const p of problems) {
    const used = reachable.has(moduleNameOf(p.rel));
    const w = where(p.st);
    const at = { file: shown(p.rel), line: p.st.line };
    if (w === 'type-checking' || w === 'main') continue; // never runs in the server
    let severity: CheckFinding['severity'] = used && (w === 'top' || w === 'function') ? 'error' : 'warning';
    const context =
      w === 'guarded'
        ? ' (inside try/except: the fallback runs instead, check it is the one you want)'
        : w === 'conditional'
          ? ' (runs only when its if-condition holds)'
          : w === 'function'
            ? ` (fails when ${p.st.inFunction}() runs)`
            : '';
    const unused = used
      ? ''
      : ` ${p.rel} is not imported by the handler (${input.handlerModule}) or the model, so the server may never run it; delete it from the model folder if it is not needed there.`;
    if (p.kind === 'relative') {
      findings.push({ severity: used ? 'error' : 'warning', message: `${p.text}${unused}`, ...at });
      continue;
    }
    if (p.kind === 'submodule') {
      const v = resolver.versionOf(p.top!);
      findings.push({
        severity,
        message: `${p.module} does not exist in the runtime image, whose ${p.top}${v ? ` is version ${v}` : ''} has no such module${context}.${unused}`,
        module: p.module,
        ...at,
      });
      continue;
    }
    const candidates = search.find(p.module, codeDir);
    const shortCandidates = candidates.length ? candidates : search.find(p.module.split('.').pop()!, codeDir);
    const foundAt = shortCandidates.map(relFromCode);
    const outside = foundAt.length
      ? `found at ${foundAt.slice(0, 3).join(', ')}${foundAt.length > 3 ? ` (and ${foundAt.length - 3} more)` : ''}, outside the model folder: DIALS will not ship it`
      : input.image
        ? 'it is neither in the model folder, nor in the standard library, nor installed in the runtime image'
        : 'it is not in the model folder or the standard library (the runtime image was not listed, so an installed package cannot be ruled out)';
    if (!foundAt.length && !input.image) severity = 'warning';
    findings.push({
      severity,
      message: `${p.module} cannot be imported: ${outside}${context}.${unused}`,
      module: p.module,
      ...(foundAt.length ? { foundAt } : {}),
      ...at,
    });
    if (shortCandidates.length && severity === 'error') {
      const m = missingByName.get(p.module) ?? { module: p.module, candidates: shortCandidates, importedFrom: [] };
      m.importedFrom.push({ file: shown(p.rel), line: p.st.line });
      missingByName.set(p.module, m);
    }
  }

  // A module of the model folder that hides a standard or installed one.
  for (const [name, m] of local) {
    if (name.includes('.')) continue;
    const hidden = resolver.stdlib.has(name)
      ? 'the standard library’s'
      : input.image?.modules.includes(name)
        ? 'the installed package'
        : null;
    if (hidden)
      findings.push({
        severity: 'warning',
        message: `${path.relative(projectDir, m.file).split(path.sep).join('/')} hides ${hidden} ${name}: the server finds the model folder first, so every "import ${name}" gets this file.`,
        module: name,
      });
  }

  return {
    findings,
    missing: [...missingByName.values()],
    sources,
    local,
    resolver,
    filesChecked: sources.size,
    importsChecked,
    reachable,
  };
}
