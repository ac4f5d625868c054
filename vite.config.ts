import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/** '@/…' is the repository root, as tsconfig.json's `paths` says (esbuild and Playwright read it there). */
export const repoAlias = { '@/': fileURLToPath(new URL('./', import.meta.url)) };

// The renderer is served from app://dism-studio/ in Electron and from the browser host, so assets use relative paths.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  resolve: { alias: repoAlias },
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    chunkSizeWarningLimit: 6000,
    sourcemap: false,
  },
});
