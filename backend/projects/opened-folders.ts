import os from 'node:os';
import path from 'node:path';
import { ApiError } from '@/shared/api/errors';
import { demoDirs } from '../demo/demo-project';
import { isInside as isInsideOrSame, realPathAllowMissing as realPathOf } from '../fs/paths';
import type { AppSettingsStore } from './app-settings';

/** Something an API call is about to write. */
export interface WriteTarget {
  path: string;
  /** What is written, in the user's words, for the refusal: "the template", "the model preset". */
  what: string;
  /**
   * 'inside-project' (default): the path must lie in a folder the user opened.
   * 'export-target': the export destination the user picked in the Export step. It may lie anywhere;
   *   what may be there already is the export rule's to decide (backend/export/export-target.ts, which
   *   the export applies before it writes anything: never the project, only an earlier export replaced).
   * 'new-folder': a folder created new (the copy of a project, projects.copy). It may lie anywhere;
   *   the copy rule (backend/projects/copy-project.ts) refuses an existing non-empty folder, the project or a folder around it.
   */
  kind?: 'inside-project' | 'export-target' | 'new-folder';
}

/**
 * The folders the API may write into, and the one check every writing call goes through (the
 * dispatcher runs it before the handler; see backend/api/write-targets.ts).
 *
 * Opened folders are: the projects the user opened (the recent-projects list, which persists, and
 * any opened since the back end started) and the demo project. The user-data folder itself is not
 * one: its settings decide what counts as opened. An export may in addition create the destination
 * the user picked in the Export step anywhere (backend/export/export-target.ts decides what it may replace).
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
    const demos = await Promise.all(demoDirs(this.userDataDir).map(realPathOf));
    if (real === path.parse(real).root)
      return `${dir} is the root of the file system. Open the folder of one project (the one holding its template.yaml).`;
    if (real === (await realPathOf(os.homedir())))
      return `${dir} is your home folder. Open the folder of one project (the one holding its template.yaml).`;
    if (!demos.some((demo) => isInsideOrSame(demo, real)) && (isInsideOrSame(real, userData) || isInsideOrSame(userData, real))) {
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
    const demos = await Promise.all(demoDirs(this.userDataDir).map(realPathOf));
    return [...new Set([...recent, ...this.thisSession, ...demos])];
  }

  async assertWritable(target: WriteTarget): Promise<void> {
    const abs = path.resolve(target.path);
    if (target.kind === 'export-target' || target.kind === 'new-folder') return;
    const real = await realPathOf(abs);
    for (const root of await this.roots()) if (isInsideOrSame(root, real)) return;
    throw new ApiError(
      'OUTSIDE_OPENED_FOLDERS',
      `DISM Studio writes only inside folders you opened as projects: ${target.what} would go to ${abs}${real !== abs ? ` (really ${real})` : ''}, which is outside every open project. Open its folder as a project first (Model step → Open project folder…).`,
      { path: abs, realPath: real },
      'OutsideOpenedFoldersError',
    );
  }
}
