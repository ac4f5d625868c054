/**
 * "Will DIALS load it?": the four checks of one template resource, each with what to do about it.
 *   imports  — every import of every .py under CodeUri (import-check.ts);
 *   pickle   — every module.Class the ModelUri pickle names, read without executing it (pickle-scan.ts);
 *   load     — the model unpickled and the handler loaded in the runtime image (load-script.ts);
 *   versions — scikit-learn/numpy/joblib recorded in the pickle vs the image's.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import type { CheckFinding, CheckResult, ModelCheckReport } from '@/shared/api/contract/model-check';
import { ApiError } from '@/shared/api/errors';
import {
  inputSignature,
  metadataInputs,
  modelName,
  outputSignature,
  readTemplate,
  requireResource,
  type ResourceView,
  type TemplateView,
} from '../build-local/template-source';
import { modelSettingsJson } from '../build-local/local-build';
import { imageExists } from '../engine/images';
import { studioLabels } from '../engine/labels';
import { runOneShotContainer } from '../engine/run-container';
import { ensureImage } from '../model-server/image';
import { serverSpec } from '../model-server/server-spec';
import { checkImports, ModuleResolver, type Framework, type ImportCheck } from './import-check';
import { CHECK_ROLE, extraPathsFor, PYTHON_ENTRYPOINT, type ImageModules, type ImageModulesCache } from './image-modules';
import { LOAD_SCRIPT } from './load-script';
import { readModelFile, type Compression } from './model-file';
import { indexFolder, ProjectModuleSearch } from './module-index';
import { scanPickle, PickleScanError, type PickleScan } from './pickle-scan';
import { parsePythonSource } from './python-source';
import { explainFailure, type StageResult } from './explain';

export interface CheckDeps {
  docker: Docker | null;
  /** Why there is no engine (its advice), when docker is null. */
  engineAdvice?: string;
  cache: ImageModulesCache;
  user?: { uid: number; gid: number };
}

export interface CheckOptions {
  templateFile: string;
  resourceKey?: string;
  image?: string;
  pull?: boolean;
  signal?: AbortSignal;
  onLine?: (text: string) => void;
  onProgress?: (message: string) => void;
}

/** What the check needs to know about a resource, also used by vendoring. */
export interface CheckTarget {
  template: TemplateView;
  resource: ResourceView;
  framework: Framework;
  codeDir: string;
  modelFile: string | null;
  handler: string | null;
  handlerModule: string;
  image: string;
  imageSource: 'option' | 'template' | 'default';
  searchRoot: string;
}

/**
 * Where modules missing from the model folder are looked for: the git work tree the template sits
 * in (the physicist's repository, where ../../utils lives), at most three folders up; else the
 * template's folder.
 */
export async function searchRootFor(templateDir: string): Promise<string> {
  let dir = templateDir;
  for (let i = 0; i < 4; i++) {
    if (
      await fs.stat(path.join(dir, '.git')).then(
        () => true,
        () => false,
      )
    )
      return dir;
    const up = path.dirname(dir);
    if (up === dir || up === os.homedir() || up === '/') break;
    dir = up;
  }
  return templateDir;
}

export async function checkTarget(templateFile: string, resourceKey: string | undefined, image?: string): Promise<CheckTarget> {
  const template = await readTemplate(templateFile);
  const resource = requireResource(template, resourceKey);
  const framework = resource.framework;
  if (typeof resource.properties.CodeUri !== 'string')
    throw new ApiError(
      'NOTHING_TO_CHECK',
      `Resources.${resource.key} (${resource.type}) has no CodeUri: there is no Python code to check (Triton serves ${resource.model} models without it).`,
      undefined,
      'NothingToCheckError',
    );
  const codeDir = path.resolve(template.dir, String(resource.properties.CodeUri));
  if (
    !(await fs.stat(codeDir).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  )
    throw new ApiError(
      'BUILD_INPUT_MISSING',
      `CodeUri ${String(resource.properties.CodeUri)} is not a folder (looked for ${codeDir}).`,
      undefined,
      'CheckError',
    );
  const modelUri = resource.properties.ModelUri;
  const modelFile = typeof modelUri === 'string' && modelUri.trim() ? path.resolve(template.dir, modelUri) : null;
  const handler = framework === 'MLServer' && typeof resource.properties.Handler === 'string' ? resource.properties.Handler : null;
  const spec = serverSpec(template.dir, resource, image);
  return {
    template,
    resource,
    framework,
    codeDir,
    modelFile,
    handler,
    handlerModule: framework === 'MLServer' ? (handler?.slice(0, handler.lastIndexOf('.')) ?? 'app') : 'model',
    image: spec.image,
    imageSource: spec.imageSource,
    searchRoot: await searchRootFor(template.dir),
  };
}

const rel = (from: string, to: string) => path.relative(from, to).split(path.sep).join('/') || '.';

/** The pickle's module.Class references resolved like imports; the scan itself when it could be read. */
interface PickleCheck {
  result: CheckResult;
  scan: PickleScan | null;
  localModules: string[];
  /** ModelUri is a pickle/joblib stream (so the load check unpickles it). */
  pickled?: boolean;
}

async function pickleStreams(
  t: CheckTarget,
  deps: CheckDeps,
  imagePresent: boolean,
  opts: CheckOptions,
): Promise<{ streams: Array<{ name: string; data: Uint8Array }>; compression: Compression | 'zip'; note?: string } | { skip: string }> {
  const m = await readModelFile(t.modelFile!);
  if (m.kind === 'pickle') return { streams: m.streams, compression: m.compression };
  if (m.kind === 'zip') return { streams: m.streams, compression: 'zip' };
  if (m.kind === 'not-pickle') return { skip: `${path.basename(t.modelFile!)} is ${m.what}: no pickled classes to check.` };
  // bz2/lzma/xz/lz4: decompressed by the image's own Python (no unpickling), then scanned here.
  if (!deps.docker || !imagePresent)
    return {
      skip: `${path.basename(t.modelFile!)} is a joblib file compressed with ${m.compression}, which DISM Studio decompresses with the runtime image's Python; the image is not available, so the pickle was not read. (Files saved with joblib's default compression, zlib, or gzip are read without it.)`,
    };
  const out = await runStage(deps, t, 'decompress', { compression: m.compression }, opts);
  if (!out.result?.ok || !out.files['stream.pkl'])
    return {
      skip: `${path.basename(t.modelFile!)} (${m.compression}) could not be decompressed in ${t.image}: ${out.result?.error?.message ?? 'no output'}.`,
    };
  return {
    streams: [{ name: '', data: out.files['stream.pkl'] }],
    compression: m.compression,
    note: `decompressed (${m.compression}) with the image's Python`,
  };
}

async function checkPickle(
  t: CheckTarget,
  deps: CheckDeps,
  resolver: ModuleResolver,
  imagePresent: boolean,
  opts: CheckOptions,
): Promise<PickleCheck> {
  const title = 'The pickled model’s classes are in the model folder or the image';
  const result: CheckResult = { id: 'pickle', title, status: 'ok', summary: '', findings: [], fixes: [] };
  if (!t.modelFile)
    return { result: { ...result, status: 'skipped', summary: 'No ModelUri: no pickled model to check.' }, scan: null, localModules: [] };
  if (
    !(await fs.stat(t.modelFile).then(
      (s) => s.isFile(),
      () => false,
    ))
  )
    return {
      result: {
        ...result,
        status: 'error',
        summary: `ModelUri ${rel(t.template.dir, t.modelFile)} does not exist.`,
        fixes: [{ text: 'Point ModelUri at the model file, relative to the template’s folder.', action: 'edit' }],
      },
      scan: null,
      localModules: [],
    };
  const streams = await pickleStreams(t, deps, imagePresent, opts);
  if ('skip' in streams) return { result: { ...result, status: 'skipped', summary: streams.skip }, scan: null, localModules: [] };
  if (!streams.streams.length)
    return {
      result: { ...result, status: 'ok', summary: `${path.basename(t.modelFile)} is a zip archive with no pickled members.` },
      scan: null,
      localModules: [],
    };
  let scan: PickleScan;
  const scans: PickleScan[] = [];
  try {
    for (const s of streams.streams) scans.push(scanPickle(s.data));
  } catch (err) {
    if (err instanceof PickleScanError)
      return {
        result: {
          ...result,
          status: 'error',
          summary: `${path.basename(t.modelFile)} cannot be read as a pickle: ${err.message} (byte ${err.offset}).`,
          fixes: [{ text: 'Save the model again (joblib.dump) and check that the file was copied completely.' }],
        },
        scan: null,
        localModules: [],
      };
    throw err;
  }
  scan = scans[0];
  if (scans.length > 1)
    scan = {
      ...scan,
      references: scans.flatMap((s) => s.references),
      sklearnVersions: scans.flatMap((s) => s.sklearnVersions),
      notes: scans.flatMap((s) => s.notes),
    };
  const findings: CheckFinding[] = [];
  const search = await ProjectModuleSearch.build(t.searchRoot, t.codeDir);
  const localModules: string[] = [];
  const renamed: string[] = [];
  for (const ref of scan.references) {
    const full = `${ref.module}.${ref.name}`;
    const r = resolver.resolve(ref.module);
    const needed = ref.paths.length
      ? ` — needed by ${ref.paths.map((x) => (x === 'model' ? 'the model object itself' : x)).join(', ')}`
      : '';
    if (r.where === 'local') {
      localModules.push(ref.module);
      // The class must still be defined there (a renamed class unpickles with AttributeError).
      if (r.module.kind === 'module' || r.module.kind === 'package') {
        const src = await fs.readFile(r.module.file, 'utf8').catch(() => '');
        const parsed = parsePythonSource(src);
        // A module that star-imports or replaces itself in sys.modules (an alias) can provide any name.
        const open = parsed.imports.some((i) => i.names.some((n) => n.name === '*')) || /sys\.modules\[__name__\]\s*=/.test(src);
        if (!open && !parsed.topLevelNames.has(ref.name))
          findings.push({
            severity: 'error',
            message: `The pickle needs ${full}, but ${rel(t.template.dir, r.module.file)} defines no ${ref.name} at its top level (renamed or moved?)${needed}.`,
            module: ref.module,
            file: rel(t.template.dir, r.module.file),
          });
      }
      continue;
    }
    if (r.where === 'stdlib' || r.where === 'installed' || r.where === 'unknown') continue;
    // Vendored already (dftools.py says it came from tools.dftools): the pickle's old path is what fails.
    const flat = resolver.local.get(ref.module.split('.').pop()!);
    const head = flat?.kind === 'module' ? (await fs.readFile(flat.file, 'utf8').catch(() => '')).split('\n', 1)[0] : '';
    if (flat && head.includes(`(module ${ref.module})`)) {
      renamed.push(ref.module);
      findings.push({
        severity: 'error',
        message: `The pickle names ${full}, but that module was vendored as ${rel(t.template.dir, flat.file)}: under its old path the model does not unpickle${needed}.`,
        module: ref.module,
      });
      continue;
    }
    const candidates = search.find(ref.module, t.codeDir);
    const foundAt = candidates.map((c) => rel(t.codeDir, c));
    if (r.where === 'missing-submodule') {
      const v = resolver.versionOf(r.top);
      const numpy2 = ref.module.startsWith('numpy._core')
        ? ' The model was pickled with numpy 2; the image has numpy 1.x, which cannot read it.'
        : '';
      findings.push({
        severity: 'error',
        message: `The pickle needs ${full}, but the image’s ${r.top}${v ? ` ${v}` : ''} has no module ${ref.module}${needed}.${numpy2}`,
        module: ref.module,
      });
      continue;
    }
    findings.push({
      severity: 'error',
      message: foundAt.length
        ? `The pickle needs ${full}, which exists only outside the model folder (${foundAt.slice(0, 2).join(', ')}): DIALS will not ship it, so unpickling fails with ModuleNotFoundError${needed}.`
        : `The pickle needs ${full}, which is neither in the model folder nor in the runtime image${needed}.`,
      module: ref.module,
      ...(foundAt.length ? { foundAt } : {}),
    });
  }
  for (const n of scan.notes) findings.push({ severity: 'warning', message: `The pickle ${n}.` });
  const errors = findings.filter((f) => f.severity === 'error');
  const outside = errors.filter((f) => f.foundAt?.length);
  const kind =
    streams.compression === 'zip' ? 'zip archive' : streams.compression === 'none' ? 'pickle' : `${streams.compression}-compressed stream`;
  return {
    scan,
    localModules,
    pickled: streams.compression !== 'zip',
    result: {
      ...result,
      status: errors.length ? 'error' : findings.length ? 'warning' : 'ok',
      summary: errors.length
        ? `${errors.length} of the ${scan.references.length} module.Class references in ${path.basename(t.modelFile)} cannot be imported by the server.`
        : `All ${scan.references.length} module.Class references in ${path.basename(t.modelFile)} (${kind}, protocol ${scan.protocol}, root ${scan.rootType}${scan.joblibArrays.count ? `, ${scan.joblibArrays.count} joblib arrays` : ''}) resolve.`,
      findings,
      fixes: renamed.length
        ? [
            {
              text: 'Re-dump the model from the vendored code in the runtime image (recommended; the old file is kept as .dism-studio.bak).',
              action: 'redump',
            },
            {
              text: `Or add alias modules so ${renamed.join(', ')} import${renamed.length > 1 ? '' : 's'} the vendored code.`,
              action: 'alias',
            },
          ]
        : outside.length
          ? [
              {
                text: 'Vendor the modules into the model folder; the pickle then needs its module paths mapped (re-dump the model, or add alias modules).',
                action: 'vendor',
              },
            ]
          : errors.length
            ? [
                {
                  text: 'Use a runtime image with the libraries the model was saved with, or save the model again with the image’s versions.',
                },
              ]
            : [],
    },
  };
}

function cmpVersion(a: string, b: string): number {
  const pa = a.split(/[.+-]/).map((x) => parseInt(x, 10));
  const pb = b.split(/[.+-]/).map((x) => parseInt(x, 10));
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] || 0) - (pb[i] || 0);
    if (d) return d;
  }
  return 0;
}

function checkVersions(scan: PickleScan | null, image: ImageModules | null, unpickle: StageResult | null): CheckResult {
  const title = 'Library versions match the ones the model was saved with';
  const base: CheckResult = { id: 'versions', title, status: 'ok', summary: '', findings: [], fixes: [] };
  if (!scan) return { ...base, status: 'skipped', summary: 'No pickle was read, so no recorded versions.' };
  const dist = image?.distributions ?? {};
  const imageVersion = (p: string) => unpickle?.versions?.[p] ?? dist[p] ?? null;
  const rows: NonNullable<CheckResult['versions']> = [];
  const findings: CheckFinding[] = [];
  for (const rec of scan.sklearnVersions) {
    const img = imageVersion('scikit-learn');
    const match = img !== null && cmpVersion(img, rec.version) === 0;
    rows.push({ package: 'scikit-learn', pickled: rec.version, image: img, match });
    if (!match) {
      const classes = rec.classes.map((c) => c.split('.').pop()).join(', ');
      findings.push({
        severity: img === null ? 'error' : 'warning',
        message:
          img === null
            ? `The model was saved with scikit-learn ${rec.version} (${classes}), but the runtime image has no scikit-learn: unpickling fails with ModuleNotFoundError.`
            : `The model was saved with scikit-learn ${rec.version} (${classes} at ${rec.paths[0]}); the image has ${img}. scikit-learn only promises to load a model in the version that saved it: it warns (InconsistentVersionWarning), and the estimator may fail to load or silently compute different results.`,
        module: 'sklearn',
      });
    }
  }
  const usesCore2 = scan.references.some((r) => r.module.startsWith('numpy._core'));
  const usesNumpy = scan.references.some((r) => r.module === 'numpy' || r.module.startsWith('numpy.'));
  if (usesNumpy) {
    const img = imageVersion('numpy');
    const pickled = usesCore2 ? '≥ 2.0 (numpy._core)' : '< 2.0 (numpy.core)';
    const ok = img === null ? false : usesCore2 ? cmpVersion(img, '2.0.0') >= 0 : true;
    rows.push({ package: 'numpy', pickled, image: img, match: ok });
    if (usesCore2 && img !== null && !ok)
      findings.push({
        severity: 'error',
        message: `The model was saved with numpy 2 (it names numpy._core); the image has numpy ${img}, which cannot read it (ModuleNotFoundError: No module named 'numpy._core').`,
        module: 'numpy',
      });
    if (img === null)
      findings.push({ severity: 'error', message: 'The model stores numpy arrays, but the runtime image has no numpy.', module: 'numpy' });
  }
  if (scan.joblibArrays.count) {
    const img = imageVersion('joblib');
    const pickled = scan.joblibArrays.aligned ? '≥ 1.2 (aligned arrays)' : '< 1.2 (unaligned arrays)';
    const ok = img !== null && (!scan.joblibArrays.aligned || cmpVersion(img, '1.2.0') >= 0);
    rows.push({ package: 'joblib', pickled, image: img, match: ok });
    if (!ok)
      findings.push({
        severity: 'error',
        message:
          img === null
            ? 'The model is a joblib file, but the runtime image has no joblib to load it.'
            : `The model was saved with joblib 1.2 or newer (arrays padded for alignment); the image has joblib ${img}, which reads such arrays wrongly or fails.`,
        module: 'joblib',
      });
  }
  const pickledWith = unpickle?.warnings?.find((w) => w.pickledWith)?.pickledWith;
  if (!rows.length)
    return {
      ...base,
      status: 'skipped',
      summary: 'The pickle records no library versions (no scikit-learn estimators, numpy arrays or joblib arrays).',
    };
  const errors = findings.filter((f) => f.severity === 'error').length;
  const mism = rows.filter((r) => !r.match);
  return {
    ...base,
    status: errors ? 'error' : findings.length ? 'warning' : 'ok',
    summary: mism.length
      ? mism.map((r) => `${r.package}: saved with ${r.pickled}, image has ${r.image ?? 'none'}`).join('; ') +
        (pickledWith ? ` (scikit-learn confirmed ${pickledWith} while loading)` : '')
      : `scikit-learn/numpy/joblib recorded in the model agree with the image (${rows.map((r) => `${r.package} ${r.image}`).join(', ')}).`,
    findings,
    versions: rows,
    fixes: mism.length
      ? [
          { text: 'Use a runtime image (Properties.Image) with the versions the model was saved with.', action: 'edit' },
          { text: 'Or save the model again in the runtime image (train it there, or load and joblib.dump it there) so both agree.' },
        ]
      : [],
  };
}

/** One stage of the load script in a one-shot container; returns its JSON and the files it wrote. */
async function runStage(
  deps: CheckDeps,
  t: CheckTarget,
  stage: 'unpickle' | 'handler' | 'decompress',
  extra: Record<string, unknown>,
  opts: CheckOptions,
): Promise<{ result: StageResult | null; files: Record<string, Uint8Array>; output: string[]; exitCode: number }> {
  const docker = deps.docker!;
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'dism-model-check-'));
  const output: string[] = [];
  try {
    const out = path.join(work, 'out');
    await fs.mkdir(out);
    const user = deps.user ?? { uid: process.getuid?.() ?? 1000, gid: process.getgid?.() ?? 1000 };
    await fs.chown(out, user.uid, user.gid).catch(() => undefined);
    await fs.chmod(out, 0o777).catch(() => undefined);
    const modelInside = t.modelFile && (t.modelFile + path.sep).startsWith(t.codeDir + path.sep);
    const modelInContainer = t.modelFile
      ? modelInside
        ? `/dism/code/${rel(t.codeDir, t.modelFile)}`
        : `/dism/model/${path.basename(t.modelFile)}`
      : '';
    const name = modelName(t.resource);
    const config = {
      framework: t.framework,
      codeDir: '/dism/code',
      modelFile: modelInContainer,
      modelName: name,
      handler: t.handler,
      settings: modelSettingsJson(name, t.handler ?? '', t.modelFile ? path.basename(t.modelFile) : ''),
      tritonConfig: JSON.stringify(tritonConfigJson(t.resource)),
      ...extra,
    };
    await fs.writeFile(path.join(work, 'check.py'), LOAD_SCRIPT);
    await fs.writeFile(path.join(work, 'config.json'), JSON.stringify(config));
    const binds = [
      `${path.join(work, 'check.py')}:/dism/check.py:ro`,
      `${path.join(work, 'config.json')}:/dism/config.json:ro`,
      `${t.codeDir}:/dism/code:ro`,
      `${out}:/dism/out`,
    ];
    if (t.modelFile && !modelInside) binds.push(`${t.modelFile}:${modelInContainer}:ro`);
    const signal = AbortSignal.any([opts.signal ?? new AbortController().signal, AbortSignal.timeout(300_000)]);
    const { exitCode } = await runOneShotContainer(
      docker,
      {
        Image: t.image,
        Entrypoint: PYTHON_ENTRYPOINT,
        Cmd: ['/dism/check.py', stage, '/dism/config.json', '/dism/out'],
        User: `${user.uid}:${user.gid}`,
        Env: ['HOME=/tmp', 'PYTHONDONTWRITEBYTECODE=1', 'PYTHONUNBUFFERED=1'],
        WorkingDir: '/tmp',
        Labels: studioLabels({ role: CHECK_ROLE, project: t.template.dir }),
        HostConfig: { NetworkMode: 'none', Binds: binds },
      },
      {
        signal,
        onLine: (_s, text) => {
          output.push(text);
          opts.onLine?.(`[${stage}] ${text}`);
        },
      },
    );
    const files: Record<string, Uint8Array> = {};
    for (const f of await fs.readdir(out)) files[f] = new Uint8Array(await fs.readFile(path.join(out, f)));
    const json = files[`${stage}.json`];
    return { result: json ? (JSON.parse(Buffer.from(json).toString('utf8')) as StageResult) : null, files, output, exitCode };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

/** The model configuration Triton hands to initialize() (args['model_config']), as far as the template says it. */
export function tritonConfigJson(r: ResourceView): Record<string, unknown> {
  const tensor = (e: { name: string; dataType: string; dims: number[] }) => ({
    name: e.name,
    data_type: `TYPE_${e.dataType}`,
    dims: e.dims,
  });
  return {
    name: modelName(r),
    backend: 'python',
    max_batch_size: Number(r.properties.MaxBatchSize ?? 0) || 0,
    default_model_filename: 'model.py',
    parameters: {},
    instance_group: [{ name: modelName(r), kind: 'KIND_CPU', count: 1 }],
    input: [...inputSignature(r), ...metadataInputs(r)].map(tensor),
    output: outputSignature(r).map(tensor),
  };
}

function loadCheck(
  t: CheckTarget,
  unpickle: StageResult | null,
  handler: StageResult | null,
  imports: ImportCheck,
  output: string[],
): CheckResult {
  const who = t.framework === 'MLServer' ? `MLServer (${t.handler})` : 'Triton’s Python backend (model.py, TritonPythonModel)';
  const base: CheckResult = {
    id: 'load',
    title: `The model loads in ${t.image} as ${who} loads it`,
    status: 'ok',
    summary: '',
    findings: [],
    fixes: [],
  };
  const failed = [unpickle, handler].find((s) => s && !s.ok) ?? null;
  if (!unpickle && !handler)
    return {
      ...base,
      status: 'error',
      summary: `The check script produced no result in ${t.image}. Its output: ${output.slice(-3).join(' | ') || 'none'}`,
    };
  if (!failed) {
    const parts = [
      unpickle?.className ? `unpickled ${unpickle.className}` : t.modelFile ? null : 'no model file',
      handler?.ok
        ? t.framework === 'MLServer'
          ? `${t.handler} imported, instantiated and load() returned`
          : 'TritonPythonModel imported, instantiated and initialize() returned'
        : null,
    ].filter(Boolean);
    return { ...base, summary: `In ${t.image}: ${parts.join('; ')}.` };
  }
  const explained = explainFailure(failed, { target: t, imports });
  // When both stages fail, the second is said too (the summary already says the first).
  const second = failed === unpickle && handler && !handler.ok ? explainFailure(handler, { target: t, imports }) : null;
  return {
    ...base,
    status: 'error',
    summary: explained.sentence,
    findings: second ? [{ severity: 'error', message: second.sentence }] : [],
    fixes: explained.fixes,
    traceback: explained.traceback,
  };
}

function headlineOf(checks: CheckResult[]): string {
  const errors = checks.filter((c) => c.status === 'error');
  if (errors.length)
    return `DIALS will not load it: ${errors[0].summary}${errors.length > 1 ? ` (and ${errors.length - 1} more check${errors.length > 2 ? 's' : ''} failed)` : ''}`;
  const list = (ids: string[]) => (ids.length > 1 ? `${ids.slice(0, -1).join(', ')} and ${ids[ids.length - 1]}` : ids[0]);
  const ok = checks.filter((c) => c.status === 'ok').map((c) => c.id);
  const skipped = checks.filter((c) => c.status === 'skipped').map((c) => c.id);
  const notRun = skipped.length ? `; ${list(skipped)} not checked` : '';
  const warnings = checks.filter((c) => c.status === 'warning');
  if (warnings.length)
    return `DIALS should load it, with ${warnings.length} warning${warnings.length > 1 ? 's' : ''}: ${warnings[0].summary}${notRun}`;
  return `DIALS should load it: ${list(ok)} check${ok.length > 1 ? '' : 's'} out${notRun}.`;
}

export async function runModelCheck(deps: CheckDeps, opts: CheckOptions): Promise<ModelCheckReport> {
  const t = await checkTarget(opts.templateFile, opts.resourceKey, opts.image);
  const progress = opts.onProgress ?? (() => undefined);
  const checks: CheckResult[] = [];
  let imagePresent = false;
  let imageNote: string | null = null;
  if (!deps.docker)
    imageNote = `No container engine is reachable, so the runtime image ${t.image} could not be used. ${deps.engineAdvice ?? ''}`.trim();
  else if (await imageExists(deps.docker, t.image)) imagePresent = true;
  else if (opts.pull) {
    progress(`Pulling ${t.image}…`);
    await ensureImage(deps.docker, t.image, { signal: opts.signal });
    imagePresent = true;
  } else
    imageNote = `The runtime image ${t.image} is not on this machine; pull it (or choose a local image) to check installed packages and to load the model.`;

  let image: ImageModules | null = null;
  if (imagePresent) {
    progress(`Listing the Python modules of ${t.image}…`);
    image = await deps.cache.get(deps.docker!, t.image, {
      extraPaths: extraPathsFor(t.framework),
      signal: opts.signal,
      onLine: opts.onLine,
      user: deps.user,
    });
  }
  progress('Reading the pickled model…');
  const local = await indexFolder(t.codeDir);
  const resolver = new ModuleResolver(local, image);
  const pickle = await checkPickle(t, deps, resolver, imagePresent, opts);

  progress('Resolving the imports of every .py in CodeUri…');
  const imports = await checkImports({
    codeDir: t.codeDir,
    projectDir: t.template.dir,
    searchRoot: t.searchRoot,
    framework: t.framework,
    handlerModule: t.handlerModule,
    pickleModules: pickle.localModules,
    image,
  });
  const importErrors = imports.findings.filter((f) => f.severity === 'error');
  const handlerPresent = imports.sources.has(t.handlerModule) || imports.local.has(t.handlerModule);
  const handlerMissing: CheckFinding[] = handlerPresent
    ? []
    : [
        {
          severity: 'error',
          message:
            t.framework === 'MLServer'
              ? `The handler module ${t.handlerModule} (Handler: ${t.handler}) is not in the model folder: there is no ${t.handlerModule.replace(/\./g, '/')}.py in ${rel(t.template.dir, t.codeDir)}.`
              : `Triton’s Python backend loads model.py, and ${rel(t.template.dir, t.codeDir)} has none.`,
        },
      ];
  const allImportFindings = [...handlerMissing, ...imports.findings];
  const errorsCount = importErrors.length + handlerMissing.length;
  checks.push({
    id: 'imports',
    title: 'Every import resolves inside the model folder or the image',
    status: errorsCount ? 'error' : allImportFindings.length ? 'warning' : 'ok',
    summary: errorsCount
      ? `${errorsCount} import${errorsCount > 1 ? 's' : ''} in ${rel(t.template.dir, t.codeDir)} cannot be resolved by the server${imports.missing.length ? `: ${imports.missing.map((m) => m.module).join(', ')} ${imports.missing.length > 1 ? 'exist' : 'exists'} only outside the model folder` : ''}.`
      : `${imports.importsChecked} imports in ${imports.filesChecked} file${imports.filesChecked === 1 ? '' : 's'} resolve${image ? ` (against the model folder, Python ${image.python}’s standard library and ${image.modules.length} modules of the image)` : ' against the model folder and the standard library; installed packages were not checked (no image)'}.`,
    findings: allImportFindings,
    fixes: imports.missing.length
      ? [
          {
            text: `Vendor ${imports.missing.map((m) => m.module).join(', ')} and what they import into the model folder as flat modules, imports rewritten (you see the diff first).`,
            action: 'vendor',
          },
        ]
      : errorsCount
        ? [{ text: 'Add the missing modules to the model folder, or use a runtime image that has the packages.' }]
        : [],
  });
  checks.push(pickle.result);

  let unpickle: StageResult | null = null;
  if (imagePresent) {
    progress(`Loading the model in ${t.image} (no network, model folder read-only)…`);
    const output: string[] = [];
    const a = t.modelFile && pickle.pickled ? await runStage(deps, t, 'unpickle', {}, opts) : null;
    unpickle = a?.result ?? null;
    output.push(...(a?.output ?? []));
    const b = await runStage(deps, t, 'handler', {}, opts);
    output.push(...b.output);
    checks.push(loadCheck(t, unpickle, b.result, imports, output));
  } else {
    checks.push({
      id: 'load',
      title: `The model loads in ${t.image}`,
      status: 'skipped',
      summary: imageNote ?? 'Not run.',
      findings: [],
      fixes: deps.docker ? [{ text: `Pull ${t.image}, then check again.`, action: 'pull-image' }] : [],
    });
  }
  checks.push(checkVersions(pickle.scan, image, unpickle));
  if (!imagePresent && imageNote) {
    const c = checks.find((x) => x.id === 'imports')!;
    c.findings.push({ severity: 'info', message: imageNote });
  }
  const errors = checks.filter((c) => c.status === 'error').length;
  const warnings = checks.filter((c) => c.status === 'warning').length;
  return {
    templateFile: t.template.file,
    resourceKey: t.resource.key,
    framework: t.framework,
    modelType: t.resource.model,
    image: t.image,
    imageSource: t.imageSource,
    ...(image ? { imagePython: image.python } : {}),
    codeDir: t.codeDir,
    ...(t.modelFile ? { modelFile: t.modelFile } : {}),
    ...(t.handler ? { handler: t.handler } : {}),
    checkedAt: new Date().toISOString(),
    checks,
    errors,
    warnings,
    headline: headlineOf(checks),
    canVendor: imports.missing.length > 0 || checks.some((c) => c.findings.some((f) => f.foundAt?.length && f.severity === 'error')),
  };
}

export { runStage };
