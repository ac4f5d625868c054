import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiError } from '../../shared/api/errors';
import { demoDir } from '../demo/demo-project';
import type { AppSettingsStore } from './app-settings';

/** Something an API call is about to write. */
export interface WriteTarget {
  path: string;
  /** What is written, in the user's words, for the refusal: "the template", "the model preset". */
  what: string;
  /**
   * 'inside-project' (default): the path must lie in a folder the user opened.
   * 'export-target': the export destination the user picked in the Export step (see assertWritable).
   */
  kind?: 'inside-project' | 'export-target';
}

/** File name of the manifest every export carries (backend/export writes it). */
const EXPORT_MANIFEST = 'manifest.json';
const ARCHIVE = /\.(zip|tar\.gz|tgz)$/i;

/**
 * The folders the API may write into, and the one check every writing call goes through (the
 * dispatcher runs it before the handler; see backend/api/write-targets.ts).
 *
 * Opened folders are: the projects the user opened (the recent-projects list, which persists, and
 * any opened since the back end started) and the demo project. The user-data folder itself is not
 * one: its settings decide what counts as opened. An export may in addition create the destination
 * the user picked in the Export step anywhere, and replace it only when it is an earlier export.
 * Paths are compared after resolving symbolic links, so a link inside a project cannot lead a write
 * out of it.
 */
export class OpenedFolders {
  private readonly thisSession = new Set<string>();

  constructor(
    private readonly settings: AppSettingsStore,
    private readonly userDataDir: string,
  ) {}

  /**
   * Why `dir` cannot be a project (null when it can): the file-system root, the home folder, and
   * DISM Studio's own settings folder would make everything in them writable.
   */
  async refusalToOpen(dir: string): Promise<string | null> {
    const real = await realPathOf(dir);
    const userData = await realPathOf(this.userDataDir);
    const demo = await realPathOf(demoDir(this.userDataDir));
    if (real === path.parse(real).root) return `${dir} is the root of the file system. Open the folder of one project (the one holding its template.yaml).`;
    if (real === (await realPathOf(os.homedir()))) return `${dir} is your home folder. Open the folder of one project (the one holding its template.yaml).`;
    if (real !== demo && !isInside(demo, real) && (real === userData || isInside(real, userData) || isInside(userData, real))) {
      return `${dir} holds DISM Studio's own settings (${this.userDataDir}), so it cannot be opened as a project. Open the folder of one project.`;
    }
    return null;
  }

  /** Called when the user opens a project (projects.open, demo.open). */
  async opened(dir: string): Promise<void> {
    this.thisSession.add(await realPathOf(dir));
  }

  async forgotten(dir: string): Promise<void> {
    this.thisSession.delete(await realPathOf(dir));
  }

  async roots(): Promise<string[]> {
    const recent = await Promise.all((await this.settings.recent()).map((p) => realPathOf(p.dir)));
    return [...new Set([...recent, ...this.thisSession, await realPathOf(demoDir(this.userDataDir))])];
  }

  async assertWritable(target: WriteTarget): Promise<void> {
    const abs = path.resolve(target.path);
    if (target.kind === 'export-target') return assertReplaceableExport(abs);
    const real = await realPathOf(abs);
    for (const root of await this.roots()) if (real === root || isInside(root, real)) return;
    throw new ApiError(
      'OUTSIDE_OPENED_FOLDERS',
      `DISM Studio writes only inside folders you opened as projects: ${target.what} would go to ${abs}${real !== abs ? ` (really ${real})` : ''}, which is outside every open project. Open its folder as a project first (Model step → Open project folder…).`,
      { path: abs, realPath: real },
      'OutsideOpenedFoldersError',
    );
  }
}

/**
 * An export destination may be created where the user picked it; if something is there already it
 * may be replaced only when it is an earlier export (a folder with the export manifest, or an
 * archive file), never a folder or file of the user's that happens to have that name.
 */
async function assertReplaceableExport(target: string): Promise<void> {
  const st = await fs.lstat(target).catch(() => null);
  if (!st) return;
  const isExport = st.isDirectory()
    ? await fs.access(path.join(target, EXPORT_MANIFEST)).then(() => true, () => false)
    : st.isFile() && ARCHIVE.test(target);
  if (isExport) return;
  throw new ApiError(
    'NOT_AN_EXPORT',
    `${target} already exists and is not an earlier DISM Studio export (${st.isDirectory() ? `no ${EXPORT_MANIFEST} in it` : st.isSymbolicLink() ? 'it is a symbolic link' : 'not a .zip or .tar.gz file'}), so it is not replaced. Choose another name or folder for the export.`,
    { target },
    'NotAnExportError',
  );
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/**
 * The real path of `p` with symbolic links resolved; for a path that does not exist yet, the real
 * path of its nearest existing ancestor plus the rest.
 */
export async function realPathOf(p: string): Promise<string> {
  let existing = path.resolve(p);
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(await fs.realpath(existing), ...rest);
    } catch {
      const parent = path.dirname(existing);
      if (parent === existing) return path.resolve(p);
      rest.unshift(path.basename(existing));
      existing = parent;
    }
  }
}
