import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The renderer is served from app://dism-studio/ in Electron and from the browser host, so assets use relative paths.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [react()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    chunkSizeWarningLimit: 6000,
    sourcemap: false,
  },
});
