import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/**
 * The renderer build. The server serves `dist/renderer` at `/` and Electron loads it from the
 * server URL, so asset paths are relative (`base: "./"`) and nothing is inlined as script:
 * the page must run under `script-src 'self'` (no eval, no inline scripts).
 */
const devServer = process.env.LOCKSTEP_DEV_SERVER;

export default defineConfig({
  root: "src-renderer",
  base: "./",
  plugins: [react()],
  build: {
    outDir: "../dist/renderer",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
    // Keep every asset a file: a data: URL script would be refused by the CSP.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 600,
  },
  worker: { format: "es" },
  server: {
    port: 5173,
    // `LOCKSTEP_DEV_SERVER=http://127.0.0.1:4000 npx vite`: the dev page talks to a running
    // server through this proxy, so it stays same-origin like the served build.
    proxy: devServer ? { "/api": devServer, "/ws": { target: devServer, ws: true } } : undefined,
  },
});
