import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import { builtinModules } from 'node:module';

/**
 * The layers, enforced here (test/foundation/lint-rules.test.ts proves each rule fires):
 *   shared/    the API contract and pure domain code: no Node built-ins (tests may read fixtures),
 *              no back end, renderer or Electron, no React
 *   backend/   plain Node services: no renderer, no Electron, no React
 *   renderer/  React UI: talks to the back end only through the API, never imports it (tests included)
 *   renderer/src/steps/  never import the app shell; shared UI lives in renderer/src/components
 *   electron/  the only place that imports `electron`
 * Everywhere: modules two or more folders up, or in another top-level folder, are imported through
 * the '@/' alias (the repository root) instead of '../../…'.
 * One no-restricted-imports entry per file group: ESLint replaces (does not merge) a rule's options
 * when several config objects match a file, so each group lists every restriction that applies to it.
 */
const nodeBuiltins = [...new Set(builtinModules.map((m) => m.replace(/^node:/, '')))];
const rule = {
  climb: {
    regex: '^\\.\\./\\.\\./',
    message: "Import modules two or more folders up through the '@/' alias (the repository root), e.g. '@/shared/api/errors'.",
  },
  electron: { name: 'electron', message: 'Only electron/ imports electron (the back end and the UI run without it).' },
  react: { name: 'react', message: 'Only the renderer uses React.' },
  node: [
    { regex: '^node:', message: 'shared/ is pure domain code: no Node built-ins (it runs in the renderer too).' },
    {
      regex: `^(${nodeBuiltins.join('|')})(/.*)?$`,
      message: 'shared/ is pure domain code: no Node built-ins (it runs in the renderer too).',
    },
  ],
  backend: (who) => ({ regex: '^@/backend/', message: `${who} never imports the back end.` }),
  renderer: (who) => ({ regex: '^@/renderer/', message: `${who} never imports the renderer.` }),
  electronFolder: (who) => ({ regex: '^@/electron/', message: `${who} never imports the Electron adapter.` }),
  shell: { regex: '^@/renderer/src/shell/', message: 'Steps never import the app shell; move what they share to renderer/src/components.' },
};
const restrict = (paths, patterns) => ({ 'no-restricted-imports': ['error', { paths, patterns }] });

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'release/**',
      'node_modules/**',
      'test-results/**',
      'playwright-report/**',
      'test/fixtures/**',
      'demo-assets/**/*.py',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-empty-pattern': 'off',
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'warn' },
  },
  // Layering, one entry per group (see above).
  { files: ['**/*.{ts,tsx,mts}'], rules: restrict([rule.electron], [rule.climb]) },
  { files: ['electron/**/*.ts'], rules: restrict([rule.react], [rule.climb, rule.renderer('electron/')]) },
  {
    files: ['shared/**/*.ts'],
    rules: restrict(
      [rule.electron, rule.react],
      [rule.climb, ...rule.node, rule.backend('shared/'), rule.renderer('shared/'), rule.electronFolder('shared/')],
    ),
  },
  {
    files: ['shared/**/*.test.ts'],
    rules: restrict(
      [rule.electron, rule.react],
      [rule.climb, rule.backend('shared/'), rule.renderer('shared/'), rule.electronFolder('shared/')],
    ),
  },
  {
    files: ['backend/**/*.ts'],
    rules: restrict([rule.electron, rule.react], [rule.climb, rule.renderer('backend/'), rule.electronFolder('backend/')]),
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    rules: restrict([rule.electron], [rule.climb, rule.backend('The renderer'), rule.electronFolder('The renderer')]),
  },
  {
    files: ['renderer/src/steps/**/*.{ts,tsx}'],
    rules: restrict([rule.electron], [rule.climb, rule.backend('The renderer'), rule.electronFolder('The renderer'), rule.shell]),
  },
  // The Electron tests drive electron/main.ts against a stand-in `electron` module.
  { files: ['test/foundation/electron-main.test.ts'], rules: restrict([], [rule.climb]) },
);
