import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * The layering rules in eslint.config.js fire: each case lints one import line as if it were in the
 * given file, through the project's real ESLint configuration.
 */
const eslint = new ESLint({ cwd: process.cwd() });

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(`${code}\nexport {};\n`, { filePath });
  return result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('lint enforces the layers', () => {
  it.each([
    ['shared/pipeline/x.ts', "import { promises } from 'node:fs';", 'no Node built-ins'],
    ['shared/pipeline/x.ts', "import path from 'path';", 'no Node built-ins'],
    ['shared/pipeline/x.ts', "import { a } from '@/backend/pipeline/npy';", 'shared/ never imports the back end'],
    ['shared/pipeline/x.ts', "import { a } from '@/renderer/src/api/use-job';", 'shared/ never imports the renderer'],
    ['shared/pipeline/x.test.ts', "import { a } from '@/backend/pipeline/npy';", 'shared/ never imports the back end'],
    ['renderer/src/api/x.ts', "import { a } from '@/backend/pipeline/npy';", 'The renderer never imports the back end'],
    ['renderer/src/steps/preview/x.test.ts', "import { a } from '@/backend/pipeline/npy';", 'The renderer never imports the back end'],
    ['renderer/src/steps/preview/x.tsx', "import { App } from '@/renderer/src/shell/App';", 'Steps never import the app shell'],
    ['backend/api/x.ts', "import { app } from 'electron';", 'Only electron/ imports electron'],
    ['shared/api/x.ts', "import { app } from 'electron';", 'Only electron/ imports electron'],
    ['renderer/src/x.ts', "import { app } from 'electron';", 'Only electron/ imports electron'],
    ['test/pipeline/x.test.ts', "import { app } from 'electron';", 'Only electron/ imports electron'],
    ['backend/api/x.ts', "import { a } from '@/renderer/src/api/use-job';", 'backend/ never imports the renderer'],
    ['backend/api/x.ts', "import React from 'react';", 'Only the renderer uses React'],
    ['backend/api/handlers/x.ts', "import { a } from '../../../shared/api/errors';", "through the '@/' alias"],
    ['test/pipeline/x.test.ts', "import { a } from '../../backend/pipeline/npy';", "through the '@/' alias"],
  ])('%s: %s is refused', async (file, code, message) => {
    expect((await restrictedImports(file, code)).join('\n')).toContain(message);
  });

  it.each([
    ['electron/x.ts', "import { app } from 'electron';"],
    ['shared/template/x.test.ts', "import { readFileSync } from 'node:fs';"],
    ['backend/api/x.ts', "import { a } from '@/shared/api/errors';"],
    ['renderer/src/steps/preview/x.tsx', "import { LogView } from '@/renderer/src/components/LogView';"],
    ['renderer/src/steps/preview/x.tsx', "import { a } from '../figure/build-figure';"],
    ['test/pipeline/x.test.ts', "import { a } from '@/backend/pipeline/npy';"],
  ])('%s: %s is allowed', async (file, code) => {
    expect(await restrictedImports(file, code)).toEqual([]);
  });
});
