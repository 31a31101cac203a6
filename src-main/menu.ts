import type { MenuItemConstructorOptions } from "electron";
import type { ServerMode } from "./bridge.js";

/** The native menu: the usual items per platform, plus the few that belong to Lockstep. */

export interface MenuActions {
  /** Back to the embedded server (the way out when a team server is unreachable). */
  useEmbeddedServer(): void;
  /** Opens the folder with the settings, the SQLite file and the logs. */
  showDataFolder(): void;
}

export interface MenuInput {
  readonly platform: string;
  readonly appName: string;
  readonly serverMode: ServerMode;
  /** Developer tools only in development builds. */
  readonly isPackaged: boolean;
  readonly actions: MenuActions;
}

const separator: MenuItemConstructorOptions = { type: "separator" };

export function buildMenuTemplate(input: MenuInput): MenuItemConstructorOptions[] {
  const mac = input.platform === "darwin";
  const { actions } = input;

  const appMenu: MenuItemConstructorOptions = {
    label: input.appName,
    submenu: [
      { role: "about" },
      separator,
      { role: "services" },
      separator,
      { role: "hide" },
      { role: "hideOthers" },
      { role: "unhide" },
      separator,
      { role: "quit" },
    ],
  };

  const fileMenu: MenuItemConstructorOptions = {
    label: "&File",
    submenu: [
      {
        id: "use-embedded-server",
        label: "Use the Built-in Server",
        type: "checkbox",
        checked: input.serverMode === "embedded",
        // Switching to a team server happens in the app's settings screen (it needs a URL).
        enabled: input.serverMode === "team",
        click: () => actions.useEmbeddedServer(),
      },
      { id: "show-data-folder", label: "Show Data Folder", click: () => actions.showDataFolder() },
      separator,
      mac ? { role: "close" } : { role: "quit" },
    ],
  };

  const editMenu: MenuItemConstructorOptions = {
    label: "&Edit",
    submenu: [
      { role: "undo" },
      { role: "redo" },
      separator,
      { role: "cut" },
      { role: "copy" },
      { role: "paste" },
      ...(mac ? [{ role: "pasteAndMatchStyle" } as const] : []),
      { role: "delete" },
      separator,
      { role: "selectAll" },
    ],
  };

  const viewMenu: MenuItemConstructorOptions = {
    label: "&View",
    submenu: [
      { role: "reload" },
      ...(input.isPackaged ? [] : [{ role: "forceReload" } as const, { role: "toggleDevTools" } as const]),
      separator,
      { role: "resetZoom" },
      { role: "zoomIn" },
      { role: "zoomOut" },
      separator,
      { role: "togglefullscreen" },
    ],
  };

  const windowMenu: MenuItemConstructorOptions = {
    label: "&Window",
    submenu: mac
      ? [{ role: "minimize" }, { role: "zoom" }, separator, { role: "front" }]
      : [{ role: "minimize" }, { role: "close" }],
  };

  // On macOS "About" lives in the app menu; elsewhere it is the Help menu's only item.
  const helpMenu: MenuItemConstructorOptions = { label: "&Help", role: "help", submenu: [{ role: "about" }] };

  return mac ? [appMenu, fileMenu, editMenu, viewMenu, windowMenu] : [fileMenu, editMenu, viewMenu, windowMenu, helpMenu];
}
