import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDir } from './project-folder';

let root: string;
beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'list-dir-'));
  await fs.mkdir(path.join(root, 'with-template'));
  await fs.writeFile(path.join(root, 'with-template', 'template.yaml'), 'Name: x\n');
  await fs.mkdir(path.join(root, 'with-named-template'));
  await fs.writeFile(path.join(root, 'with-named-template', 'pixel-nmf.template.yml'), 'Name: x\n');
  await fs.mkdir(path.join(root, 'plain'));
  await fs.writeFile(path.join(root, 'plain', 'notes.txt'), 'x');
  await fs.mkdir(path.join(root, 'plain', 'template.yaml')); // a folder named like a template is not one
  await fs.writeFile(path.join(root, 'template.yaml'), 'Name: x\n');
  await fs.writeFile(path.join(root, 'model.joblib'), 'x');
  await fs.writeFile(path.join(root, '.hidden'), 'x');
});
afterAll(() => fs.rm(root, { recursive: true, force: true }));

describe('folder browser listing', () => {
  it('lists folders first, then files; marks folders that hold a template and template files', async () => {
    const l = await listDir(root, true);
    expect(l.entries).toEqual([
      { name: 'plain', kind: 'dir', hasTemplate: false },
      { name: 'with-named-template', kind: 'dir', hasTemplate: true },
      { name: 'with-template', kind: 'dir', hasTemplate: true },
      { name: 'model.joblib', kind: 'file', isTemplate: false },
      { name: 'template.yaml', kind: 'file', isTemplate: true },
    ]);
  });
  it('lists folders only when files are not asked for, still marking templates', async () => {
    const l = await listDir(root, false);
    expect(l.entries.map((e) => [e.name, e.hasTemplate])).toEqual([
      ['plain', false],
      ['with-named-template', true],
      ['with-template', true],
    ]);
  });
});
