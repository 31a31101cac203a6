import { access, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * electron-builder.yml is checked with electron-builder's own loader and JSON schema
 * (app-builder-lib's scheme.json via validateConfiguration), so a misspelt or misplaced key
 * fails here in seconds instead of at release time.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
// app-builder-lib is electron-builder's own dependency: resolve it the way electron-builder does.
const requireFromBuilder = createRequire(createRequire(import.meta.url).resolve("electron-builder/package.json"));

interface BuilderConfig {
  [key: string]: unknown;
  appId?: string;
  productName?: string;
  files?: (string | { filter?: string[] })[];
  asarUnpack?: string[];
  extraMetadata?: { main?: string };
  afterPack?: string;
  linux?: { target?: string[]; [key: string]: unknown };
  mac?: { target?: string[] };
  win?: { target?: string[] };
}
const { getConfig, validateConfiguration } = requireFromBuilder("app-builder-lib/out/util/config/config") as {
  getConfig(projectDir: string, configPath: string | null, configFromOptions: null): Promise<BuilderConfig>;
  validateConfiguration(config: BuilderConfig, debugLogger: unknown): Promise<void>;
};
const { DebugLogger } = requireFromBuilder("builder-util") as { DebugLogger: new (enabled: boolean) => unknown };

const loadConfig = () => getConfig(ROOT, path.join(ROOT, "electron-builder.yml"), null);

/** The `files` patterns, flattened (electron-builder normalizes them to `{filter: [...]}`). */
const filePatterns = (config: BuilderConfig): string[] =>
  (config.files ?? []).flatMap((f: string | { filter?: string[] }) => (typeof f === "string" ? [f] : (f.filter ?? [])));

interface AfterPackModule {
  LOCKSTEP_FUSES: Record<string, unknown>;
  packedElectronPath(context: {
    appOutDir: string;
    electronPlatformName: string;
    packager: { appInfo: { productFilename: string }; executableName?: string };
  }): string;
  afterPack(context: unknown): Promise<void>;
}
const hook = (await import(pathToFileURL(path.join(ROOT, "scripts/build-after-pack.mjs")).href)) as AfterPackModule;
const { LOCKSTEP_FUSES, packedElectronPath } = hook;

describe("electron-builder.yml", () => {
  it("passes electron-builder's schema", async () => {
    const config = await loadConfig();
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it("would fail the schema with a misspelt or misplaced key (the check can fail)", async () => {
    const config = await loadConfig();
    const logger = new DebugLogger(false);
    await expect(validateConfiguration({ ...config, asarUnpak: ["x"] }, logger)).rejects.toThrow(/asarUnpak/);
    await expect(validateConfiguration({ ...config, linux: { ...config.linux, dmg: {} } }, logger)).rejects.toThrow();
  });

  it("builds AppImage and deb, dmg, and nsis, under one app id and product name", async () => {
    const config = await loadConfig();
    expect(config.appId).toBe("app.lockstep.desktop");
    expect(config.productName).toBe("Lockstep");
    expect(config.linux?.target).toEqual(["AppImage", "deb"]);
    expect(config.mac?.target).toEqual(["dmg"]);
    expect(config.win?.target).toEqual(["nsis"]);
  });

  it("ships the three bundles and starts the bundled main", async () => {
    const config = await loadConfig();
    expect(filePatterns(config)).toEqual(expect.arrayContaining(["dist/main/**", "dist/server/**", "dist/renderer/**"]));
    expect(config.extraMetadata?.main).toBe("dist/main/main.cjs");
  });

  it("unpacks the server and better-sqlite3 (with what it loads) from the asar", async () => {
    const config = await loadConfig();
    expect(config.asarUnpack).toEqual(
      expect.arrayContaining(["dist/server/**", "node_modules/better-sqlite3/**", "node_modules/bindings/**"]),
    );
    const sqlitePkg = JSON.parse(await readFile(path.join(ROOT, "node_modules/better-sqlite3/package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    // Everything better-sqlite3 loads at run time must be unpacked with it (prebuild-install only runs at install).
    for (const dep of Object.keys(sqlitePkg.dependencies).filter((d) => d !== "prebuild-install")) {
      expect(config.asarUnpack).toContain(`node_modules/${dep}/**`);
    }
  });

  it("has the icon, 512x512 PNG", async () => {
    const png = await readFile(path.join(ROOT, "build/icon.png"));
    expect(png.subarray(1, 4).toString("ascii")).toBe("PNG");
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([512, 512]);
  });
});

describe("Electron fuses (afterPack hook)", () => {
  it("is wired as the afterPack hook", async () => {
    const config = await loadConfig();
    expect(config.afterPack).toBe("scripts/build-after-pack.mjs");
    await access(path.join(ROOT, config.afterPack!));
    expect(hook.afterPack).toBeTypeOf("function");
  });

  it("turns runAsNode, NODE_OPTIONS and --inspect off, cookie encryption and ASAR integrity on", () => {
    expect(LOCKSTEP_FUSES).toEqual({
      version: "1",
      0: false, // RunAsNode
      1: true, // EnableCookieEncryption
      2: false, // EnableNodeOptionsEnvironmentVariable
      3: false, // EnableNodeCliInspectArguments
      4: true, // EnableEmbeddedAsarIntegrityValidation
      5: true, // OnlyLoadAppFromAsar
      6: false, // LoadBrowserProcessSpecificV8Snapshot
      7: false, // GrantFileProtocolExtraPrivileges
    });
  });

  it("finds the Electron executable of each platform's packed app", () => {
    const packager = { appInfo: { productFilename: "Lockstep" }, executableName: "lockstep" };
    expect(packedElectronPath({ appOutDir: "/o", electronPlatformName: "darwin", packager })).toBe(path.join("/o", "Lockstep.app"));
    expect(packedElectronPath({ appOutDir: "/o", electronPlatformName: "win32", packager })).toBe(path.join("/o", "Lockstep.exe"));
    expect(packedElectronPath({ appOutDir: "/o", electronPlatformName: "linux", packager })).toBe(path.join("/o", "lockstep"));
  });
});
