import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Everything is bundled (no CDN, no web fonts); the server serves dist/ at `/`.
// `npm run dev` proxies the API to a local `gatehouse serve` on 127.0.0.1:4100.
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2022', chunkSizeWarningLimit: 400 },
  server: { proxy: { '/v1': 'http://127.0.0.1:4100', '/healthz': 'http://127.0.0.1:4100' } },
});
