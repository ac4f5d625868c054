import { promises as fs } from 'node:fs';
import path from 'node:path';
import { BuildState, LocalBuildResult } from '@/shared/api/contract/model-server';
import { readJsonFile, writeFileAtomic } from '../fs/atomic-write';
import { ARTIFACTS_DIR } from '../projects/project-folder';

/**
 * What `.dism-artifacts/build` next to a template holds: DISM Studio's local build or an official
 * `dismcli build`, each recorded when it finishes (in `.dism-studio/` next to the template), so every
 * screen shows the build that is on disk now — after navigating away, a reload, or a build made in
 * another step — not one it remembers.
 */
const STATE_DIR = '.dism-studio';
const LOCAL_MARKER = 'local-build.json';
const OFFICIAL_MARKER = 'official-build.json';

export interface OfficialBuildRecord {
  template: string;
  dialsUrl: string;
  imageTag: string;
  finishedAt: string;
}

const markerOf = (templateFile: string, name: string) => path.join(path.dirname(path.resolve(templateFile)), STATE_DIR, name);

export async function recordLocalBuild(result: LocalBuildResult): Promise<void> {
  await writeFileAtomic(markerOf(result.templateFile, LOCAL_MARKER), `${JSON.stringify(result, null, 2)}\n`);
}

export async function recordOfficialBuild(templateFile: string, record: OfficialBuildRecord): Promise<void> {
  await writeFileAtomic(markerOf(templateFile, OFFICIAL_MARKER), `${JSON.stringify(record, null, 2)}\n`);
}

/** A marker that cannot be read (hand-edited, another version) counts as absent. */
async function readMarker<T>(file: string, check: (v: unknown) => T | null): Promise<T | null> {
  const raw = await readJsonFile<unknown>(file, null).catch(() => null);
  return raw === null ? null : check(raw);
}

export async function buildState(templateFile: string): Promise<BuildState> {
  const template = path.resolve(templateFile);
  const buildDir = path.join(path.dirname(template), ARTIFACTS_DIR, 'build');
  const exists = await fs.stat(buildDir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!exists) return { kind: 'none', buildDir };
  const local = await readMarker(markerOf(template, LOCAL_MARKER), (v) => {
    const r = LocalBuildResult.safeParse(v);
    return r.success && path.resolve(r.data.templateFile) === template ? r.data : null;
  });
  const official = await readMarker(markerOf(template, OFFICIAL_MARKER), (v) => {
    const o = v as Partial<OfficialBuildRecord>;
    return typeof o.finishedAt === 'string' && typeof o.dialsUrl === 'string' && typeof o.template === 'string'
      ? { finishedAt: o.finishedAt, dialsUrl: o.dialsUrl, template: o.template }
      : null;
  });
  // Both ran at some point: the later one is what the folder holds.
  if (official && (!local || Date.parse(official.finishedAt) >= Date.parse(local.builtAt))) return { kind: 'official', buildDir, official };
  if (local) return { kind: 'local', buildDir, local };
  return { kind: 'unknown', buildDir };
}
