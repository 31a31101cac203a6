// electron-builder afterPack hook (electron-builder.yml: afterPack): flips Electron's fuses in
// the packaged binary, before signing. electron-builder 25 has no `electronFuses` option yet
// (it arrived in 26), so this hook does it with @electron/fuses.
import path from "node:path";
import { flipFuses, FuseV1Options, FuseVersion } from "@electron/fuses";

/** The fuse settings Lockstep ships with. */
export const LOCKSTEP_FUSES = Object.freeze({
  version: FuseVersion.V1,
  // ELECTRON_RUN_AS_NODE would turn the signed app into a general-purpose Node: off.
  // (The embedded server runs in a utilityProcess, which does not need it.)
  [FuseV1Options.RunAsNode]: false,
  // Cookies on disk encrypted with the OS keychain, as Chrome does.
  [FuseV1Options.EnableCookieEncryption]: true,
  // No NODE_OPTIONS, no --inspect: nobody attaches a debugger to a shipped app.
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  // ASAR integrity (macOS, Windows): the app refuses an app.asar that was tampered with —
  // and only ever loads its code from that app.asar.
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: false,
  // The app never loads file:// pages.
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
});

/**
 * The Electron executable inside a packed app folder.
 * @param {{ appOutDir: string, electronPlatformName: string, packager: { appInfo: { productFilename: string }, executableName?: string } }} context
 */
export function packedElectronPath(context) {
  const { appOutDir, electronPlatformName, packager } = context;
  const name = packager.appInfo.productFilename;
  switch (electronPlatformName) {
    case "darwin":
    case "mas":
      return path.join(appOutDir, `${name}.app`);
    case "win32":
      return path.join(appOutDir, `${name}.exe`);
    default:
      return path.join(appOutDir, packager.executableName ?? name);
  }
}

/** @param {Parameters<typeof packedElectronPath>[0]} context */
export async function afterPack(context) {
  const darwin = context.electronPlatformName === "darwin" || context.electronPlatformName === "mas";
  await flipFuses(packedElectronPath(context), {
    ...LOCKSTEP_FUSES,
    // Flipping a fuse breaks the ad-hoc signature of an arm64 macOS binary; re-sign it ad hoc
    // (real signing, when configured, happens after this hook).
    resetAdHocDarwinSignature: darwin,
  });
}

export default afterPack;
