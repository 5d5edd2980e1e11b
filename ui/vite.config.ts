import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// The bundle is embedded in the core and served at /ui/. File names carry no content hash:
// the core serves them with ETag + `Cache-Control: no-cache`, and stable names keep the
// embedded file list stable across builds.
export default defineConfig({
  base: "/ui/",
  plugins: [svelte()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    rolldownOptions: {
      output: {
        entryFileNames: "assets/[name].js",
        chunkFileNames: "assets/[name].js",
        assetFileNames: "assets/[name][extname]",
      },
    },
  },
  server: {
    // `npm run dev` proxies the API to a running core (MCPPROXY_URL, default :8080).
    proxy: {
      "/api": process.env.MCPPROXY_URL ?? "http://127.0.0.1:8080",
      "/events": process.env.MCPPROXY_URL ?? "http://127.0.0.1:8080",
    },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
