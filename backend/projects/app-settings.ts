import path from 'node:path';
import type { RecentProject } from '@/shared/api/contract';
import { readJsonFile, writeFileAtomic } from '../fs/atomic-write';

const MAX_RECENT = 12;

interface SettingsFile {
  recentProjects: RecentProject[];
  /** Per-project preferences keyed by absolute project dir (e.g. chosen DIALS URL). */
  projects: Record<string, Record<string, unknown>>;
}

/** App-wide settings in the user-data dir (recent projects, per-project preferences). */
export class AppSettingsStore {
  private readonly file: string;
  private cache: SettingsFile | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(userDataDir: string) {
    this.file = path.join(userDataDir, 'settings.json');
  }

  private async load(): Promise<SettingsFile> {
    if (!this.cache) {
      const raw = await readJsonFile<Partial<SettingsFile>>(this.file, {});
      this.cache = { recentProjects: Array.isArray(raw.recentProjects) ? raw.recentProjects : [], projects: raw.projects ?? {} };
    }
    return this.cache;
  }

  /** Serialise read-modify-write so concurrent calls never lose an update. */
  private update<T>(fn: (s: SettingsFile) => T): Promise<T> {
    const next = this.queue.then(async () => {
      const s = await this.load();
      const out = fn(s);
      await writeFileAtomic(this.file, JSON.stringify(s, null, 2));
      return out;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  async recent(): Promise<RecentProject[]> {
    return [...(await this.load()).recentProjects];
  }

  rememberProject(dir: string, name: string): Promise<RecentProject[]> {
    return this.update((s) => {
      s.recentProjects = [{ dir, name, openedAt: new Date().toISOString() }, ...s.recentProjects.filter((p) => p.dir !== dir)].slice(
        0,
        MAX_RECENT,
      );
      return [...s.recentProjects];
    });
  }

  forgetProject(dir: string): Promise<RecentProject[]> {
    return this.update((s) => {
      s.recentProjects = s.recentProjects.filter((p) => p.dir !== dir);
      return [...s.recentProjects];
    });
  }

  async projectSetting<T>(dir: string, key: string): Promise<T | undefined> {
    return (await this.load()).projects[dir]?.[key] as T | undefined;
  }

  setProjectSetting(dir: string, key: string, value: unknown): Promise<void> {
    return this.update((s) => {
      s.projects[dir] = { ...(s.projects[dir] ?? {}), [key]: value };
    });
  }
}
