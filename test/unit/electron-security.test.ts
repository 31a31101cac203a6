import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

/**
 * The Electron security floor is held by eslint rules on src-main/** (eslint.config.js). These
 * tests prove each rule fires on the mistake it exists for, and that the real sources pass —
 * so a rule that silently stopped matching would fail here, not just stop protecting.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const eslint = new ESLint({ cwd: ROOT });

async function lint(code: string, file = "src-main/__probe__.ts"): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? "parse"}: ${m.message}`);
}

const secure = `
  const a = { webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false } };
  export default a;
`;

describe("electron security lint rules", () => {
  it("accept a secure window configuration (the probe itself is clean)", async () => {
    expect(await lint(secure)).toEqual([]);
  });

  it.each([
    ["contextIsolation off", "export const o = { webPreferences: { contextIsolation: false, sandbox: true } };", /contextIsolation, sandbox and webSecurity/],
    ["sandbox off", "export const o = { webPreferences: { contextIsolation: true, sandbox: false } };", /contextIsolation, sandbox and webSecurity/],
    ["sandbox from a variable", "const s = true; export const o = { webPreferences: { contextIsolation: true, sandbox: s } };", /must be the literal true/],
    ["webSecurity off", "export const o = { webPreferences: { contextIsolation: true, sandbox: true, webSecurity: false } };", /webSecurity/],
    ["contextIsolation missing", "export const o = { webPreferences: { sandbox: true } };", /must set contextIsolation: true explicitly/],
    ["sandbox missing", "export const o = { webPreferences: { contextIsolation: true } };", /must set sandbox: true explicitly/],
    ["nodeIntegration on", "export const o = { webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: true } };", /Node integration/],
    ["webviewTag on", "export const o = { webviewTag: true };", /webview/],
    ["unsafe-eval in a CSP", `export const csp = "script-src 'self' 'unsafe-eval'";`, /unsafe-eval/],
    ["unsafe-eval in a template", "export const csp = `script-src ${'x'} 'unsafe-eval'`;", /unsafe-eval/],
    ["unsafe-inline scripts", `export const csp = { "script-src": ["'self'", "'unsafe-inline'"] };`, /Scripts only from 'self'/],
    ["unsafe-inline scripts in a string", `export const csp = "default-src 'self'; script-src 'self' 'unsafe-inline'";`, /Scripts only from 'self'/],
    [
      "raw ipcRenderer exposed",
      `import { contextBridge, ipcRenderer } from "electron"; contextBridge.exposeInMainWorld("api", ipcRenderer);`,
      /Use ipcRenderer only as ipcRenderer.invoke/,
    ],
    [
      "ipcRenderer inside an exposed object",
      `import { contextBridge, ipcRenderer } from "electron"; contextBridge.exposeInMainWorld("api", { ipc: ipcRenderer });`,
      /Use ipcRenderer only as ipcRenderer.invoke/,
    ],
    [
      "ipcRenderer.send passed as a function",
      `import { ipcRenderer } from "electron"; export const send = ipcRenderer.send;`,
      /Use ipcRenderer only as ipcRenderer.invoke/,
    ],
    [
      "ipcRenderer.on with the raw event",
      `import { ipcRenderer } from "electron"; ipcRenderer.on("x", (e) => console.log(e));`,
      /Use ipcRenderer only as ipcRenderer.invoke/,
    ],
    [
      "anything but createBridge exposed",
      `import { contextBridge } from "electron"; contextBridge.exposeInMainWorld("api", { run: (c: string) => c });`,
      /Expose only createBridge/,
    ],
    ["openExternal on unchecked input", `import { shell } from "electron"; export const f = (u: string) => shell.openExternal(u);`, /requireSafeExternalUrl/],
    [
      "openExternal after a check it cannot see",
      `import { shell } from "electron"; export const f = (u: string) => { if (u.startsWith("https:")) void shell.openExternal(u); };`,
      /requireSafeExternalUrl/,
    ],
    [
      "an IPC handler that does not check its sender",
      `import { ipcMain } from "electron"; ipcMain.handle("x", async (_e, p) => p);`,
      /Every IPC handler checks its sender/,
    ],
    [
      "a window built from ad-hoc options",
      `import { BrowserWindow } from "electron"; new BrowserWindow({ webPreferences: { contextIsolation: true, sandbox: true } });`,
      /buildWindowOptions/,
    ],
    ["a BrowserView", `import { BrowserView } from "electron"; new BrowserView();`, /one kind of window/],
  ])("reject %s", async (_name, code, expected) => {
    const messages = await lint(code, "src-main/main.ts");
    expect(messages.join("\n")).toMatch(expected);
  });

  it("accept the legitimate patterns the app uses", async () => {
    const code = `
      import { contextBridge, ipcMain, ipcRenderer, shell } from "electron";
      declare function createBridge(f: unknown, i: unknown): object;
      declare function requireSafeExternalUrl(u: string): string;
      declare function guard(c: string, e: unknown): void;
      contextBridge.exposeInMainWorld("lockstep", createBridge({}, (c: string, p: unknown) => ipcRenderer.invoke(c, p)));
      export const open = (u: string) => shell.openExternal(requireSafeExternalUrl(u));
      ipcMain.handle("x", async (e, p) => { guard("x", e); return p; });
    `;
    expect(await lint(code, "src-main/main.ts")).toEqual([]);
  });

  it("keep plain modules free of run-time electron imports (types are fine)", async () => {
    expect((await lint(`import { app } from "electron"; export const v = app.getVersion();`)).join("\n")).toMatch(
      /Only src-main\/main.ts and src-main\/preload.ts import electron/,
    );
    expect(await lint(`import type { App } from "electron"; export const f = (a: App) => a.getVersion();`)).toEqual([]);
    expect(await lint(`import { app } from "electron"; export const v = app.getVersion();`, "src-main/main.ts")).toEqual([]);
  });

  it("pass on every real source in src-main/", async () => {
    const dir = path.join(ROOT, "src-main");
    const files = (await readdir(dir)).filter((f) => f.endsWith(".ts"));
    expect(files).toEqual(expect.arrayContaining(["main.ts", "preload.ts", "window.ts", "csp.ts", "navigation.ts"]));
    const results = await eslint.lintFiles(files.map((f) => path.join(dir, f)));
    const problems = results.flatMap((r) => r.messages.map((m) => `${path.basename(r.filePath)}:${m.line} ${m.message}`));
    expect(problems).toEqual([]);
  });

  it("find the security settings where the rules expect them (so the rules are not passing vacuously)", async () => {
    const windowSource = await readFile(path.join(ROOT, "src-main/window.ts"), "utf8");
    expect(windowSource).toMatch(/contextIsolation: true/);
    expect(windowSource).toMatch(/sandbox: true/);
    const mainSource = await readFile(path.join(ROOT, "src-main/main.ts"), "utf8");
    expect(mainSource).toMatch(/new BrowserWindow\(\s*buildWindowOptions\(/);
    expect(mainSource).toMatch(/shell\.openExternal\(requireSafeExternalUrl\(/);
    const preloadSource = await readFile(path.join(ROOT, "src-main/preload.ts"), "utf8");
    expect(preloadSource).toMatch(/exposeInMainWorld\(\s*"lockstep",\s*createBridge\(/);
  });
});
