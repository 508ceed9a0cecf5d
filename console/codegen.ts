// Types and documents generated from the API's schema (the repository's schema.graphql).
// Every `graphql(...)` call under src/ is an operation; the persisted-documents manifest
// (sha256 of each document) is what the server accepts by hash.
import type { CodegenConfig } from "@graphql-codegen/cli";

const config: CodegenConfig = {
  schema: "../schema.graphql",
  documents: ["src/**/*.{ts,tsx}", "!src/gql/**/*", "!src/generated/**/*"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      presetConfig: {
        fragmentMasking: false,
        persistedDocuments: { mode: "embedHashInDocument", hashAlgorithm: "sha256" },
      },
      config: {
        documentMode: "string",
        enumsAsTypes: true,
        useTypeImports: true,
        skipTypename: true,
        avoidOptionals: { field: true, inputValue: false, object: false, defaultValue: false },
        scalars: {
          DateTime: "string",
          Date: "string",
          JSON: "unknown",
          Money: "{ amount: number; currency: string }",
        },
      },
    },
  },
};

export default config;
