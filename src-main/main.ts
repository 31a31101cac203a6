/**
 * Electron main: the thin glue. Every decision is made by a plain, tested module
 * (window options, CSP, navigation policy, bridge, settings, server lifecycle, quit order);
 * this file wires those to Electron's events and shows the few native dialogs.
 *
 * Bundled to CommonJS (dist/main/main.cjs) by scripts/build-main.mjs, so `__dirname` is the
 * bundle's folder: dist/main, inside app.asar when packaged.
 */
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  Notification,
  session,
  shell,
  utilityProcess,
  type Session,
  type WebContents,
} from "electron";
import { createWriteStream, mkdirSync } from "node:fs";
import path from "node:path";
import { encodeBridgeArgument, type SwitchServerResult } from "./bridge.js";
import { buildContentSecurityPolicy, withCspHeader } from "./csp.js";
import { createEmbeddedServer, serverStatusText, type EmbeddedServer, type ServerStatus } from "./embedded-server.js";
import { registerBridgeHandlers } from "./ipc.js";
import { buildMenuTemplate } from "./menu.js";
import {
  decideWindowOpen,
  isNavigationAllowed,
  isPermissionAllowed,
  isSameOrigin,
  requireSafeExternalUrl,
} from "./navigation.js";
import { closeAll, createQuitController } from "./quit.js";
import { appPaths, buildServerEnv } from "./server-env.js";
import { utilityForkServer } from "./server-process.js";
import {
  createSettingsStore,
  DEFAULT_SETTINGS,
  type ServerChoiceSetting,
  type Settings,
  type SettingsStore,
} from "./settings.js";
import { buildWindowOptions } from "./window.js";

const APP_NAME = "Lockstep";
/** How long a page may take in its unload handlers before a close counts as refused. */
const CLOSE_TIMEOUT_MS = 10_000;
/** Time for the pages' keepalive lock releases to reach the server before it stops. */
const RELEASE_GRACE_MS = 300;
/** Chromium's "navigation aborted" (e.g. one we refused in will-navigate): not a failure. */
const ERR_ABORTED = -3;

const paths = appPaths(__dirname, app.isPackaged);
const log = (message: string, error?: unknown): void => {
  console.log(`[lockstep] ${message}`, ...(error === undefined ? [] : [error]));
};

let settings: Settings = DEFAULT_SETTINGS;
/** Set once the app is ready and the settings are loaded. */
let store: SettingsStore | null = null;
let mainWindow: BrowserWindow | null = null;
/** The server origin the current window is bound to; every policy check reads it. */
let windowOrigin: string | null = null;
let embedded: EmbeddedServer | null = null;

const quit = createQuitController({
  closeWindows: (cancelled) => closeAll(BrowserWindow.getAllWindows(), CLOSE_TIMEOUT_MS, cancelled),
  stopServer: async () => embedded?.stop(),
  exit: () => app.quit(),
  releaseGraceMs: RELEASE_GRACE_MS,
  log,
});

// The name decides the userData folder, which the single-instance lock lives in: set it first.
app.setName(APP_NAME);
if (!app.requestSingleInstanceLock()) {
  // A second launch: the first instance gets `second-instance` and comes to the front.
  app.quit();
} else {
  app.enableSandbox();
  if (process.platform === "win32") app.setAppUserModelId("app.lockstep.desktop");
  app.on("second-instance", () => {
    if (store === null) return;
    if (mainWindow === null) return void openOnCurrentServer();
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on("web-contents-created", (_event, contents) => hardenWebContents(contents));
  app.on("before-quit", (event) => {
    if (quit.onBeforeQuit()) event.preventDefault();
  });
  app.on("window-all-closed", () => {
    if (process.platform !== "darwin") app.quit();
  });
  app.on("activate", () => {
    if (store !== null && BrowserWindow.getAllWindows().length === 0) void openOnCurrentServer();
  });
  app.whenReady().then(startApp, (error: unknown) => log("app failed to get ready", error));
}

async function startApp(): Promise<void> {
  const settingsStore = createSettingsStore(app.getPath("userData"));
  const loaded = await settingsStore.load();
  settings = loaded.settings;
  store = settingsStore;
  if (loaded.problem !== undefined) {
    log(`settings were unreadable and were moved to ${loaded.problem.movedTo}: ${loaded.problem.message}`);
  }
  installSessionPolicies(session.defaultSession);
  registerBridgeHandlers(ipcMain, {
    trustedOrigin: () => windowOrigin,
    switchServer,
  });
  rebuildMenu();
  await openOnCurrentServer();
}

/** Applies the navigation, window-open and webview policies to every web contents. */
function hardenWebContents(contents: WebContents): void {
  const refuseUnlessAllowed = (event: { url: string; preventDefault(): void }): void => {
    if (windowOrigin === null || !isNavigationAllowed(event.url, windowOrigin)) event.preventDefault();
  };
  contents.on("will-frame-navigate", refuseUnlessAllowed);
  contents.on("will-redirect", refuseUnlessAllowed);
  contents.on("will-attach-webview", (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    const decision = decideWindowOpen(url, windowOrigin ?? "");
    if (decision.openExternally !== null) {
      shell.openExternal(requireSafeExternalUrl(decision.openExternally)).catch((error: unknown) => log("could not open a link", error));
    }
    return { action: decision.action };
  });
}

function installSessionPolicies(ses: Session): void {
  ses.setPermissionRequestHandler((_contents, permission, callback, details) => {
    callback(windowOrigin !== null && isPermissionAllowed(permission, details.requestingUrl, windowOrigin));
  });
  ses.setPermissionCheckHandler(
    (_contents, permission, requestingOrigin) =>
      windowOrigin !== null && isPermissionAllowed(permission, requestingOrigin, windowOrigin),
  );
  ses.webRequest.onHeadersReceived((details, callback) => {
    if (windowOrigin === null || !isSameOrigin(details.url, windowOrigin)) return callback({});
    callback({ responseHeaders: withCspHeader(details.responseHeaders, buildContentSecurityPolicy(windowOrigin)) });
  });
}

function rebuildMenu(): void {
  const template = buildMenuTemplate({
    platform: process.platform,
    appName: APP_NAME,
    serverMode: settings.server.mode,
    isPackaged: app.isPackaged,
    actions: {
      useEmbeddedServer: () => void switchServer({ mode: "embedded" }),
      showDataFolder: () => void shell.openPath(app.getPath("userData")),
    },
  });
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

function embeddedServer(): EmbeddedServer {
  if (embedded !== null) return embedded;
  const logDir = path.join(app.getPath("userData"), "logs");
  mkdirSync(logDir, { recursive: true });
  const serverLog = createWriteStream(path.join(logDir, "server.log"), { flags: "a" });
  embedded = createEmbeddedServer({
    fork: utilityForkServer((modulePath, args, options) => utilityProcess.fork(modulePath, args, options), {
      serviceName: `${APP_NAME} server`,
      onOutput: (chunk, stream) => {
        serverLog.write(chunk);
        if (!app.isPackaged) (stream === "stdout" ? process.stdout : process.stderr).write(chunk);
      },
    }),
    modulePath: paths.serverEntry,
    env: buildServerEnv({
      baseEnv: process.env,
      userDataDir: app.getPath("userData"),
      rendererDir: paths.rendererDir,
      redisUrl: settings.embedded.redisUrl,
    }),
    ...(settings.embedded.port === undefined ? {} : { preferredPort: settings.embedded.port }),
    onStatus: (status) => void onServerStatus(status),
  });
  return embedded;
}

async function onServerStatus(status: ServerStatus): Promise<void> {
  log(`embedded server: ${status.state}`);
  const text = serverStatusText(APP_NAME, status);
  mainWindow?.setTitle(text.title);
  if (text.notice !== null && Notification.isSupported()) new Notification({ title: APP_NAME, body: text.notice }).show();
  if (status.state === "ready" && settings.server.mode === "embedded") {
    // After a restart on another port the page's origin changed: reopen the window there.
    if (mainWindow !== null && windowOrigin !== null && !isSameOrigin(status.url, windowOrigin)) void reopenWindow();
  }
  if (status.state === "failed") {
    const { response } = await dialog.showMessageBox({
      type: "error",
      message: "The built-in server stopped",
      detail: `${status.message}\n\nDetails are in ${path.join(app.getPath("userData"), "logs", "server.log")}.`,
      buttons: ["Restart Server", "Quit"],
      defaultId: 0,
      cancelId: 1,
    });
    if (response === 0) void openOnCurrentServer();
    else app.quit();
  }
}

/** The server URL for the current settings, starting or stopping the embedded server as needed. */
async function currentServerUrl(): Promise<string> {
  if (settings.server.mode === "team") {
    await embedded?.stop();
    return settings.server.url;
  }
  const server = embeddedServer();
  const url = await server.start();
  if (server.port !== null && server.port !== settings.embedded.port) {
    const port = server.port;
    settings = await saveSettings((s) => ({ ...s, embedded: { ...s.embedded, port } }));
  }
  return url;
}

async function openOnCurrentServer(): Promise<void> {
  let url: string;
  try {
    url = await currentServerUrl();
  } catch (error) {
    log("the server could not be started", error);
    const { response } = await dialog.showMessageBox({
      type: "error",
      message: `${APP_NAME} could not start its built-in server`,
      detail: error instanceof Error ? error.message : String(error),
      buttons: ["Try Again", "Quit"],
      defaultId: 0,
      cancelId: 1,
    });
    if (response === 0) return openOnCurrentServer();
    return void app.quit();
  }
  if (mainWindow === null) openWindow(url);
}

function openWindow(serverUrl: string): void {
  const origin = new URL(serverUrl).origin;
  windowOrigin = origin;
  const win = new BrowserWindow(
    buildWindowOptions({
      preloadPath: paths.preload,
      bridgeArgument: encodeBridgeArgument({
        serverUrl: origin,
        serverMode: settings.server.mode,
        appVersion: app.getVersion(),
        platform: process.platform,
      }),
      title: APP_NAME,
      ...(paths.icon === undefined ? {} : { icon: paths.icon }),
    }),
  );
  mainWindow = win;
  win.once("ready-to-show", () => win.show());
  win.on("closed", () => {
    if (mainWindow === win) {
      mainWindow = null;
      windowOrigin = null;
    }
  });
  win.webContents.on("did-fail-load", (_event, code, description, _url, isMainFrame) => {
    if (isMainFrame && code !== ERR_ABORTED) void onLoadFailure(win, origin, description);
  });
  // The page asked to confirm leaving (e.g. an unsaved draft): ask natively.
  win.webContents.on("will-prevent-unload", (event) => {
    const choice = dialog.showMessageBoxSync(win, {
      type: "question",
      message: "Leave and discard your unsaved changes?",
      detail: "Text you typed that was not saved yet is lost when the window closes.",
      buttons: ["Leave", "Stay"],
      defaultId: 1,
      cancelId: 1,
    });
    if (choice === 0) event.preventDefault();
    else quit.cancel();
  });
  void win.loadURL(`${origin}/`);
}

async function reopenWindow(): Promise<boolean> {
  if (mainWindow !== null && !(await closeAll([mainWindow], CLOSE_TIMEOUT_MS))) return false;
  await openOnCurrentServer();
  return true;
}

async function onLoadFailure(win: BrowserWindow, origin: string, description: string): Promise<void> {
  const team = settings.server.mode === "team";
  const { response } = await dialog.showMessageBox(win, {
    type: "error",
    message: team ? `Cannot reach the team server at ${origin}` : "Cannot reach the built-in server",
    detail: description,
    buttons: team ? ["Try Again", "Use the Built-in Server", "Quit"] : ["Try Again", "Quit"],
    defaultId: 0,
    cancelId: team ? 2 : 1,
  });
  if (response === 0) void win.loadURL(`${origin}/`);
  else if (team && response === 1) void switchServer({ mode: "embedded" });
  else app.quit();
}

async function saveSettings(change: (current: Settings) => Settings): Promise<Settings> {
  if (store === null) throw new Error("settings are not loaded yet");
  return store.update(change);
}

async function switchServer(choice: ServerChoiceSetting): Promise<SwitchServerResult> {
  if (choice.mode === settings.server.mode && (choice.mode === "embedded" || choice.url === windowOrigin)) {
    return { ok: true };
  }
  const { response } = await dialog.showMessageBox({
    type: "question",
    message: choice.mode === "team" ? `Connect to the team server at ${choice.url}?` : "Use the built-in server?",
    detail: `${APP_NAME} closes this window (releasing the documents you are editing) and reopens it on that server.`,
    buttons: ["Switch", "Cancel"],
    defaultId: 0,
    cancelId: 1,
  });
  if (response !== 0) return { ok: false, error: "cancelled", message: "Switching server was cancelled." };
  try {
    settings = await saveSettings((s) => ({ ...s, server: choice }));
  } catch (error) {
    return { ok: false, error: "failed", message: error instanceof Error ? error.message : String(error) };
  }
  rebuildMenu();
  // Answer the page first; then its window goes away.
  setImmediate(() => void reopenWindow());
  return { ok: true };
}
