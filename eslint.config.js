// @ts-check
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

/** The import arrows point one way: protocol <- server, protocol <- src-*. */
const restrict = (/** @type {string[]} */ groups, /** @type {string} */ message) => ({
  "no-restricted-imports": ["error", { patterns: [{ group: groups, message }] }],
});

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "dist-*/", "coverage/", "test-results/", "playwright-report/", "bench/.out/"] },
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
  // Electron main/preload security floor (test/unit/electron-security.test.ts proves each
  // selector fires). Window options, CSP, IPC and external links must stay checkable.
  {
    files: ["src-main/**"],
    rules: {
      "no-restricted-syntax": ["error", ...electronSecuritySelectors()],
    },
  },
  // Plain modules stay testable without the Electron binary: only the glue imports it.
  {
    files: ["src-main/**"],
    ignores: ["src-main/main.ts", "src-main/preload.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          paths: [
            {
              name: "electron",
              allowTypeImports: true,
              message:
                "Only src-main/main.ts and src-main/preload.ts import electron at run time; pass what a plain module needs as a parameter (import type is fine).",
            },
          ],
        },
      ],
    },
  },
);

/** no-restricted-syntax entries for src-main/**: what must never appear in Electron code. */
function electronSecuritySelectors() {
  const exposeCall = "CallExpression[callee.property.name=/^exposeIn(MainWorld|IsolatedWorld)$/]";
  return [
    {
      selector: "Property[key.name=/^(contextIsolation|sandbox|webSecurity)$/][value.value!=true]",
      message: "contextIsolation, sandbox and webSecurity must be the literal true.",
    },
    {
      selector:
        "Property[key.name=/^(nodeIntegration|nodeIntegrationInWorker|nodeIntegrationInSubFrames|webviewTag|allowRunningInsecureContent|experimentalFeatures)$/][value.value!=false]",
      message: "Node integration, <webview>, insecure content and experimental features must be the literal false.",
    },
    {
      selector: "Property[key.name='webPreferences'] > ObjectExpression:not(:has(Property[key.name='contextIsolation']))",
      message: "webPreferences must set contextIsolation: true explicitly.",
    },
    {
      selector: "Property[key.name='webPreferences'] > ObjectExpression:not(:has(Property[key.name='sandbox']))",
      message: "webPreferences must set sandbox: true explicitly.",
    },
    {
      selector: "NewExpression[callee.name='BrowserWindow']:not([arguments.0.callee.name='buildWindowOptions'])",
      message: "Create windows with new BrowserWindow(buildWindowOptions(...)) so their options are the tested ones.",
    },
    {
      selector: "NewExpression[callee.name=/^(BrowserView|WebContentsView)$/]",
      message: "Lockstep has one kind of window: no BrowserView/WebContentsView.",
    },
    {
      selector: "Literal[value=/unsafe-eval|unsafe-hashes/], TemplateElement[value.raw=/unsafe-eval|unsafe-hashes/]",
      message: "No 'unsafe-eval' (or 'unsafe-hashes') in any CSP.",
    },
    {
      selector:
        "Property[key.value=/^(script-src|script-src-elem|script-src-attr|default-src)$/] Literal[value=/unsafe-inline|data:|blob:/], Literal[value=/script-src[^;]*(unsafe-inline|data:|blob:)/]",
      message: "Scripts only from 'self': no 'unsafe-inline', data: or blob: in script-src/default-src.",
    },
    {
      selector:
        "Identifier[name='ipcRenderer']:not(ImportSpecifier > Identifier):not(CallExpression > MemberExpression.callee[property.name='invoke'] > Identifier.object)",
      message: "Use ipcRenderer only as ipcRenderer.invoke(channel, payload) inside the bridge: never pass, store or expose it.",
    },
    {
      selector: `${exposeCall}:not([arguments.1.callee.name='createBridge'])`,
      message: "Expose only createBridge(...) (src-main/bridge.ts) to the page.",
    },
    {
      selector: "CallExpression[callee.property.name='openExternal']:not([arguments.0.callee.name='requireSafeExternalUrl'])",
      message: "shell.openExternal only ever takes requireSafeExternalUrl(url) as its argument.",
    },
    {
      selector:
        "CallExpression[callee.object.name='ipcMain'][callee.property.name=/^(handle|handleOnce|on|once|addListener)$/]:not(:has(CallExpression[callee.name='guard']))",
      message: "Every IPC handler checks its sender first: register handlers in src-main/ipc.ts through guard().",
    },
  ];
}
