import type { BrowserWindowConstructorOptions } from "electron";

/**
 * The options of every Lockstep window. `new BrowserWindow(...)` is only ever called with the
 * result of `buildWindowOptions` (a lint rule holds that), so the assertions in
 * test/unit/electron-window.test.ts cover every window the app opens.
 */
export interface WindowOptionsInput {
  /** Absolute path of the bundled preload (dist/main/preload.cjs). */
  readonly preloadPath: string;
  /** The `--lockstep-bridge=…` argument from `encodeBridgeArgument`. */
  readonly bridgeArgument: string;
  readonly title: string;
  /** Window icon (Linux/Windows; macOS takes it from the bundle). */
  readonly icon?: string;
}

export function buildWindowOptions(input: WindowOptionsInput): BrowserWindowConstructorOptions {
  return {
    title: input.title,
    width: 1200,
    height: 800,
    minWidth: 640,
    minHeight: 480,
    // Shown on `ready-to-show`, so the user never sees a white flash while the page loads.
    show: false,
    ...(input.icon === undefined ? {} : { icon: input.icon }),
    webPreferences: {
      preload: input.preloadPath,
      additionalArguments: [input.bridgeArgument],
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      // A page cannot spam alert() loops at the user.
      safeDialogs: true,
      // Heartbeats keep the edit lock: Chromium must not throttle the page's timers while the
      // window is hidden or minimised (the renderer also ticks from a Worker, belt and braces).
      backgroundThrottling: false,
      spellcheck: true,
    },
  };
}
