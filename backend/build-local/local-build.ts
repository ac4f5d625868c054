import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Document } from 'yaml';
import { ApiError } from '@/shared/api/errors';
import { isInside, realPathAllowMissing } from '../fs/paths';
import { swapInFolder } from '../fs/swap-folder';
import { ARTIFACTS_DIR } from '../projects/project-folder';
import { linkProblem, resolveProjectPath, type PathRule } from '../template/project-paths';
import { configPbtxt, TRITON_MODEL } from './config-pbtxt';
import { modelName, plainDataType, readTemplate, type ResourceView, type TemplateView } from './template-source';
import type { LocalBuildResult } from '@/shared/api/contract/model-server';
import { recordLocalBuild } from './build-state';

/** What an official `dismcli build` does that this offline build cannot (shown next to the result). */
const OFFICIAL_BUILD_ADDS = [
  'DIALS login and a check that you may publish to the resource Workspace',
  "DISM's own server-side validation of the template (dism_core, same rules as the Template step, plus model-name uniqueness in the workspace)",
  'The build recorded by DISM with its version, so `dismcli package` can register the model in DIALS',
  'A check that the Image can be pulled by the DIALS inference cluster',
];

type BuiltResource = LocalBuildResult['resources'][number];

const RULE_CODES: Record<PathRule, string> = {
  'path-outside-project': 'PATH_OUTSIDE_PROJECT',
  'path-missing': 'BUILD_INPUT_MISSING',
  'path-kind': 'BUILD_INPUT_MISSING',
  'path-loop': 'PATH_LOOP',
};

/**
 * A path from the template, resolved against its folder with the rule `validate` applies
 * (backend/template/project-paths.ts): refused in the same words when it leaves the project,
 * also through a link. Sources inside .dism-artifacts are refused too: the build replaces them.
 */
async function projectPath(t: TemplateView, r: ResourceView, key: string, kind: 'file' | 'dir'): Promise<string> {
  const raw = r.properties[key];
  const where = `Resources.${r.key}.Properties.${key}`;
  if (typeof raw !== 'string' || !raw.trim())
    throw new ApiError(
      'BUILD_INPUT_MISSING',
      `${where} is required for ${r.type} (a ${kind} relative to ${t.dir}).`,
      { path: where },
      'BuildError',
    );
  const res = await resolveProjectPath({ templateDir: t.dir, projectDir: t.dir, field: key, value: raw, kind });
  // validate's words, with the field named by its full path ("ModelUri: file not found…" → "Resources.X.Properties.ModelUri: file not found…").
  if (!res.ok)
    throw new ApiError(
      RULE_CODES[res.rule],
      res.message.startsWith(key) ? `${where}${res.message.slice(key.length)}` : `${where}: ${res.message}`,
      { path: where },
      'BuildError',
    );
  const artifacts = await realPathAllowMissing(path.join(t.dir, ARTIFACTS_DIR));
  if (isInside(artifacts, res.real)) {
    throw new ApiError(
      'PATH_IN_BUILD_OUTPUT',
      `${where}: ${raw} is inside ${ARTIFACTS_DIR}, which the build writes and replaces; point it at your own files instead.`,
      { path: where },
      'BuildError',
    );
  }
  return res.abs;
}

interface CopyContext {
  projectReal: string;
  /** Folder the messages show paths relative to (the template's). */
  shownFrom: string;
  where: string;
}

/**
 * Copy a file or folder into the build, links replaced by the files they point to (dismcli copies
 * with Python's copytree, which does the same); a link leading out of the project, to nowhere or
 * into a loop is refused in plain words (the same check validate runs).
 */
async function copyInto(src: string, dest: string, ctx: CopyContext, ancestors: string[] = []): Promise<void> {
  const lst = await fs.lstat(src);
  if (lst.isSymbolicLink()) {
    const problem = await linkProblem(src, { projectReal: ctx.projectReal, ancestors, shownFrom: ctx.shownFrom });
    if (problem)
      throw new ApiError(RULE_CODES[problem.rule], `${ctx.where}: ${problem.message}`, { path: ctx.where, file: src }, 'BuildError');
  }
  const st = lst.isSymbolicLink() ? await fs.stat(src) : lst;
  await fs.mkdir(path.dirname(dest), { recursive: true });
  if (st.isDirectory()) {
    const real = await fs.realpath(src);
    await fs.mkdir(dest, { recursive: true });
    for (const e of (await fs.readdir(src)).sort()) await copyInto(path.join(src, e), path.join(dest, e), ctx, [...ancestors, real]);
    await fs.chmod(dest, st.mode & 0o7777);
    await fs.utimes(dest, st.atime, st.mtime);
  } else if (st.isFile()) {
    // A regular file replaces whatever the build already holds under that name (e.g. ModelUri inside CodeUri).
    await fs.rm(dest, { force: true });
    await fs.copyFile(src, dest);
    await fs.chmod(dest, st.mode & 0o7777);
    await fs.utimes(dest, st.atime, st.mtime);
  }
  // Sockets, FIFOs, devices: nothing a model server can use; not copied.
}

/** Every top-level entry of a folder copied into dest (folders recursively). */
async function copyEntries(srcDir: string, dest: string, ctx: CopyContext): Promise<void> {
  await fs.mkdir(dest, { recursive: true });
  const real = await fs.realpath(srcDir);
  for (const e of (await fs.readdir(srcDir)).sort()) await copyInto(path.join(srcDir, e), path.join(dest, e), ctx, [real]);
}

async function listFiles(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(dir, r)));
    else out.push(r);
  }
  return out.sort();
}

/** JSON as Python's json.dumps writes it by default (", " and ": " separators, ASCII escapes). */
export function pythonJsonDumps(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(pythonJsonDumps).join(', ')}]`;
  if (v && typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `${pythonJsonDumps(k)}: ${pythonJsonDumps(x)}`)
      .join(', ')}}`;
  if (typeof v === 'string')
    return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return JSON.stringify(v ?? null);
}

/** model-settings.json exactly as dismcli writes it. */
export function modelSettingsJson(name: string, implementation: string, uri: string): string {
  return pythonJsonDumps({ name, implementation, parameters: { uri, version: '0.1.0' } });
}

async function copyContext(t: TemplateView, r: ResourceView, key: string): Promise<CopyContext> {
  return { projectReal: await fs.realpath(t.dir), shownFrom: t.dir, where: `Resources.${r.key}.Properties.${key}` };
}

async function buildMlserver(t: TemplateView, r: ResourceView, out: string, props: Record<string, unknown>): Promise<void> {
  const codeDir = await projectPath(t, r, 'CodeUri', 'dir');
  const modelFile = await projectPath(t, r, 'ModelUri', 'file');
  const handler = props.Handler;
  if (typeof handler !== 'string' || !handler.includes('.'))
    throw new ApiError(
      'BUILD_INPUT_MISSING',
      `Resources.${r.key}.Properties.Handler must be module.Class (got ${String(handler)}).`,
      undefined,
      'BuildError',
    );
  const dest = path.join(out, r.key);
  await copyEntries(codeDir, dest, await copyContext(t, r, 'CodeUri'));
  await copyInto(modelFile, path.join(dest, path.basename(modelFile)), await copyContext(t, r, 'ModelUri'));
  await fs.writeFile(path.join(dest, 'model-settings.json'), modelSettingsJson(modelName(r), handler, path.basename(modelFile)));
  props.CodeUri = r.key;
  props.ModelUri = path.basename(modelFile);
}

async function buildTriton(t: TemplateView, r: ResourceView, out: string, props: Record<string, unknown>): Promise<void> {
  const name = modelName(r);
  const dest = path.join(out, r.key);
  const version = path.join(dest, name, '1');
  const m = TRITON_MODEL[r.model];
  await fs.mkdir(version, { recursive: true });
  if (r.model === 'TensorflowSavedModel') {
    await copyInto(await projectPath(t, r, 'SavedModelUri', 'dir'), path.join(version, m.file), await copyContext(t, r, 'SavedModelUri'));
    props.SavedModelUri = `${name}/1/${m.file}`;
  } else if (r.model === 'Python') {
    const codeDir = await projectPath(t, r, 'CodeUri', 'dir');
    const modelFile = await projectPath(t, r, 'ModelUri', 'file');
    await copyEntries(codeDir, version, await copyContext(t, r, 'CodeUri'));
    await copyInto(modelFile, path.join(version, path.basename(modelFile)), await copyContext(t, r, 'ModelUri'));
    // as dismcli rewrites them: CodeUri is the model repository (build/<Key>), ModelUri the bare file name
    props.CodeUri = r.key;
    props.ModelUri = path.basename(modelFile);
  } else {
    await copyInto(await projectPath(t, r, 'ModelUri', 'file'), path.join(version, m.file), await copyContext(t, r, 'ModelUri'));
    props.ModelUri = `${name}/1/${m.file}`;
  }
  // dismcli records the model repository (build/<Key>, what start-api mounts) in the built template
  props.ModelRepositoryUri = r.key;
  await fs.writeFile(path.join(dest, name, 'config.pbtxt'), configPbtxt(r));
}

/** The template as written to build/template.yaml: plain DataTypes, defaults made explicit, paths rewritten. */
function normaliseProperties(props: Record<string, unknown>): void {
  const fixTypes = (v: unknown) => {
    if (!Array.isArray(v)) return;
    for (const e of v)
      if (e && typeof e === 'object' && 'DataType' in e)
        (e as Record<string, unknown>).DataType = plainDataType((e as Record<string, unknown>).DataType);
  };
  fixTypes(props.InputSignature);
  fixTypes(props.OutputSignature);
  if (Array.isArray(props.InputMetadata)) {
    for (const m of props.InputMetadata as Array<Record<string, unknown>>) {
      fixTypes(m.Attributes);
      if (Array.isArray(m.Filter)) for (const f of m.Filter as Array<Record<string, unknown>>) f.Operation ??= 'EQ';
    }
  }
  const res = props.Resources as Record<string, Record<string, unknown> | null> | undefined;
  for (const k of ['Requests', 'Limits']) {
    const spec = res?.[k];
    if (spec && 'nvidia.com/gpu' in spec) {
      spec.gpu ??= spec['nvidia.com/gpu'];
      delete spec['nvidia.com/gpu'];
    }
  }
}

/**
 * Build `.dism-artifacts/build/` next to the template, laid out as `dismcli build` does, offline.
 * The new build is assembled in a temporary folder and swapped in, so a failed build never leaves
 * a half-written build folder behind.
 */
export async function buildLocal(templateFile: string, opts: { onProgress?: (message: string) => void } = {}): Promise<LocalBuildResult> {
  const t = await readTemplate(templateFile);
  const artifacts = path.join(t.dir, ARTIFACTS_DIR);
  const buildDir = path.join(artifacts, 'build');
  const tmp = path.join(artifacts, `.build-${randomBytes(4).toString('hex')}.tmp`);
  await fs.mkdir(tmp, { recursive: true });
  try {
    const data = structuredClone(t.data);
    const resourcesOut = data.Resources as Record<string, { Properties?: Record<string, unknown> }>;
    for (const r of t.resources) {
      opts.onProgress?.(`Building ${r.key} (${r.type})`);
      const props = (resourcesOut[r.key].Properties ??= {});
      if (r.framework === 'MLServer') await buildMlserver(t, r, tmp, props);
      else await buildTriton(t, r, tmp, props);
      normaliseProperties(props);
    }
    // dismcli's readers are PyYAML (YAML 1.1): write 1.1 so "2025-03-31", yes/no, … stay strings.
    const doc = new Document(data, { version: '1.1' });
    await fs.writeFile(path.join(tmp, 'template.yaml'), doc.toString({ lineWidth: 0 }));
    await swapInFolder(tmp, buildDir);
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
  const resources: BuiltResource[] = [];
  for (const r of t.resources) {
    const dir = path.join(buildDir, r.key);
    resources.push({ key: r.key, type: r.type, framework: r.framework, name: modelName(r), dir, files: await listFiles(dir) });
  }
  const result: LocalBuildResult = {
    templateFile: t.file,
    projectDir: t.dir,
    buildDir,
    builtTemplate: path.join(buildDir, 'template.yaml'),
    resources,
    warnings: t.warnings,
    local: true,
    officialBuildAdds: OFFICIAL_BUILD_ADDS,
    builtAt: new Date().toISOString(),
  };
  // Every screen (and a later session) reads back what the build folder holds (build-state.ts).
  await recordLocalBuild(result);
  return result;
}
