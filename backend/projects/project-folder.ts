import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DirEntry, ProjectSummary } from '@/shared/api/contract';
import { ApiError } from '@/shared/api/errors';

/** DISM's output folder next to a template: build/ (dismcli build or the local build) and package/. */
export const ARTIFACTS_DIR = '.dism-artifacts';

/** Marker written into generated demo projects. */
export const DEMO_MARKER = path.join('.dism-studio', 'demo.json');

export async function requireDirectory(dir: string): Promise<string> {
  const abs = path.resolve(dir);
  let st;
  try {
    st = await fs.stat(abs);
  } catch {
    throw new ApiError('NOT_FOUND', `Folder not found: ${abs}`, undefined, 'NotFoundError');
  }
  if (!st.isDirectory()) throw new ApiError('NOT_A_DIRECTORY', `Not a folder: ${abs}`, undefined, 'NotADirectoryError');
  return abs;
}

/** A file name DISM Studio takes for a template: template.yaml, pixel-nmf.template.yml, … */
const isTemplate = (name: string) => /(^|[._-])template\.ya?ml$/i.test(name);

/** Template files at the top of the project or one level down (e.g. model/template.yaml). */
export async function findTemplates(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    if (e.isFile() && isTemplate(e.name)) out.push(e.name);
    else if (e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules') {
      try {
        for (const f of await fs.readdir(path.join(dir, e.name), { withFileTypes: true })) {
          if (f.isFile() && isTemplate(f.name)) out.push(path.join(e.name, f.name));
        }
      } catch {
        /* unreadable subfolder: skip */
      }
    }
  }
  return out.sort((a, b) => a.split(path.sep).length - b.split(path.sep).length || a.localeCompare(b));
}

export async function summarizeProject(dir: string): Promise<ProjectSummary> {
  const abs = await requireDirectory(dir);
  // the marker says which demo (markers written before there were two have no variant: the MLServer one)
  const marker = await fs.readFile(path.join(abs, DEMO_MARKER), 'utf8').then(
    (t) => {
      try {
        return JSON.parse(t) as { variant?: unknown };
      } catch {
        return {};
      }
    },
    () => null,
  );
  const isDemo = marker !== null;
  const demoVariant = marker?.variant === 'triton' ? ('triton' as const) : ('mlserver' as const);
  return { dir: abs, name: path.basename(abs), templates: await findTemplates(abs), isDemo, ...(isDemo ? { demoVariant } : {}) };
}

/** Whether a folder has a template file directly in it (one read per folder listed; unreadable = no). */
async function holdsTemplate(dir: string): Promise<boolean> {
  try {
    return (await fs.readdir(dir, { withFileTypes: true })).some((f) => f.isFile() && isTemplate(f.name));
  } catch {
    return false;
  }
}

/**
 * One folder for the folder browser: sub-folders (marked when they hold a template) and, when asked
 * for, files (so the template the user is looking for can be seen, marked as such).
 */
export async function listDir(
  dir: string | undefined,
  showFiles: boolean,
): Promise<{ dir: string; parent: string | null; entries: DirEntry[] }> {
  const abs = await requireDirectory(dir ?? os.homedir());
  const entries: DirEntry[] = [];
  for (const e of await fs.readdir(abs, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    if (e.isDirectory()) entries.push({ name: e.name, kind: 'dir', hasTemplate: await holdsTemplate(path.join(abs, e.name)) });
    else if (showFiles && e.isFile()) entries.push({ name: e.name, kind: 'file', isTemplate: isTemplate(e.name) });
  }
  entries.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'dir' ? -1 : 1));
  const parent = path.dirname(abs);
  return { dir: abs, parent: parent === abs ? null : parent, entries };
}
