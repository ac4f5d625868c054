import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { TemplateDraft } from '@/shared/api/contract/template';
import { readJsonFile, writeFileAtomic } from '../fs/atomic-write';

interface DraftFile extends TemplateDraft {
  path: string;
}

/**
 * Unsaved editor contents, one JSON file per template in the user-data dir, so edits survive a
 * crash or a closed window and are offered again on the next open.
 */
export class TemplateDrafts {
  private readonly dir: string;
  constructor(userDataDir: string) {
    this.dir = path.join(userDataDir, 'template-drafts');
  }

  private fileFor(templatePath: string): string {
    return path.join(this.dir, `${createHash('sha256').update(path.resolve(templatePath)).digest('hex').slice(0, 32)}.json`);
  }

  async save(templatePath: string, text: string, baseHash: string | null): Promise<TemplateDraft> {
    const draft: DraftFile = { path: path.resolve(templatePath), text, baseHash, savedAt: new Date().toISOString() };
    await writeFileAtomic(this.fileFor(templatePath), JSON.stringify(draft));
    return { text, baseHash, savedAt: draft.savedAt };
  }

  async read(templatePath: string): Promise<TemplateDraft | null> {
    // A draft torn by a crash mid-write is useless but must not block opening the template.
    const d = await readJsonFile<DraftFile | null>(this.fileFor(templatePath), null).catch(() => null);
    if (!d || d.path !== path.resolve(templatePath) || typeof d.text !== 'string') return null;
    return { text: d.text, baseHash: d.baseHash ?? null, savedAt: d.savedAt };
  }

  async discard(templatePath: string): Promise<void> {
    await fs.rm(this.fileFor(templatePath), { force: true });
  }
}
