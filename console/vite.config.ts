import react from "@vitejs/plugin-react";
import { copyFileSync } from "node:fs";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";

// The API during `npm run dev` (scripts/serve's default address).
const api = process.env.ADMIRAL_API ?? "http://127.0.0.1:8000";

// The manifest of persisted documents goes next to the build: the server loads it from there.
function persistedDocuments(): Plugin {
  return {
    name: "admiral-persisted-documents",
    apply: "build",
    writeBundle(options) {
      copyFileSync("src/gql/persisted-documents.json", `${options.dir}/persisted-documents.json`);
    },
  };
}

export default defineConfig({
  base: "/console/",
  plugins: [react(), persistedDocuments()],
  build: { manifest: true, outDir: "dist", emptyOutDir: true, sourcemap: false },
  server: {
    proxy: { "/graphql": api, "/v1": api, "/exports": api },
  },
  test: {
    environment: "happy-dom",
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
