import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run dev -w @nebula/web` serves the UI with hot reload and sends the API to a running gateway
// (NEBULA_URL, default http://127.0.0.1:8080). `npm run build -w @nebula/web` writes web/dist, which
// the gateway serves at `/`.
const gateway = globalThis.process?.env.NEBULA_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
  },
  server: {
    host: '127.0.0.1',
    proxy: { '/api': gateway, '/hls': gateway },
  },
});
