// @ts-check
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

/** The import arrows point one way: protocol <- server, protocol <- src-*. */
const restrict = (/** @type {string[]} */ groups, /** @type {string} */ message) => ({
  "no-restricted-imports": ["error", { patterns: [{ group: groups, message }] }],
});

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "dist-*/", "coverage/", "test-results/", "playwright-report/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "off",
    },
  },
  {
    files: ["protocol/**"],
    rules: restrict(
      ["**/server/**", "**/src-main/**", "**/src-renderer/**", "../server/*", "../src-*/*"],
      "protocol/ is pure: it imports nothing of ours (only zod).",
    ),
  },
  {
    files: ["server/**"],
    rules: restrict(
      ["**/src-main/**", "**/src-renderer/**", "**/src-main", "**/src-renderer"],
      "server/ never imports src-*: share code through protocol/ only.",
    ),
  },
  {
    files: ["src-renderer/**", "src-main/**"],
    rules: restrict(
      ["**/server/**", "**/server"],
      "src-* never imports server/: talk to it over HTTP and WebSocket, share types via protocol/.",
    ),
  },
  {
    files: ["src-renderer/**"],
    languageOptions: { globals: { ...globals.browser } },
  },
);
