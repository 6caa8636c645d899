// Builds the browser app from web/ into web/dist. The `#shared/*` imports resolve through the
// root package.json "imports" map, so the form prices claims with the same engine as the API.
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

const webRoot = decodeURIComponent(new URL('.', import.meta.url).pathname);
// Where `vite dev` / `vite preview` send API calls: a running `claims start`.
const apiTarget = process.env.CLAIMS_API ?? 'http://127.0.0.1:8787';
const apiPaths = [
  '/me',
  '/households',
  '/claims',
  '/roster',
  '/policies',
  '/ledger',
  '/quotes',
  '/stats',
  '/local',
  '/config.json',
  '/health',
];
const proxy = Object.fromEntries(apiPaths.map((p) => [p, { target: apiTarget, changeOrigin: false }]));

export default defineConfig({
  root: webRoot,
  base: '/',
  plugins: [preact()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    // Small enough to inline; one request less on a weak signal.
    assetsInlineLimit: 8192,
    reportCompressedSize: true,
  },
  server: { fs: { allow: ['..'] }, proxy },
  preview: { proxy },
});
