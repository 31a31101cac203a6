import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

/**
 * The desktop app's settings: one JSON file in Electron's userData folder, validated with zod
 * on every read and write. A file that does not parse is moved aside (never silently lost)
 * and the defaults are used.
 */

/**
 * A team server address: http(s), no credentials, no path, query or fragment — the app loads
 * the renderer from the server's root and keeps the window on that origin. Normalized to the
 * origin (`https://locks.example.com`).
 */
export const TeamServerUrlSchema = z
  .string()
  .trim()
  .max(2048)
  .transform((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({ code: "custom", message: "not a URL" });
      return z.NEVER;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      ctx.addIssue({ code: "custom", message: "must start with https:// or http://" });
      return z.NEVER;
    }
    if (url.username !== "" || url.password !== "") {
      ctx.addIssue({ code: "custom", message: "must not contain a user name or password" });
      return z.NEVER;
    }
    if ((url.pathname !== "/" && url.pathname !== "") || url.search !== "" || url.hash !== "") {
      ctx.addIssue({ code: "custom", message: "must be the server's address only, without a path" });
      return z.NEVER;
    }
    return url.origin;
  });

export const ServerChoiceSchema = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("embedded") }).strict(),
  z.object({ mode: z.literal("team"), url: TeamServerUrlSchema }).strict(),
]);

export type ServerChoiceSetting = z.output<typeof ServerChoiceSchema>;

export const SettingsSchema = z.object({
  version: z.literal(1),
  /** Which server the window shows. */
  server: ServerChoiceSchema.default({ mode: "embedded" }),
  embedded: z
    .object({
      /**
       * Port the embedded server used last. Reused at the next start so the page's origin (and
       * with it the renderer's saved session and drafts in localStorage) stays the same; a
       * free port is picked when it is taken.
       */
      port: z.number().int().min(1024).max(65535).optional(),
      /** Lock store for the embedded server; absent: the in-process memory store. */
      redisUrl: z.url({ protocol: /^rediss?$/ }).optional(),
    })
    .strict()
    .default({}),
});

export type Settings = z.output<typeof SettingsSchema>;

/** Embedded server, no remembered port, memory lock store. */
export const DEFAULT_SETTINGS: Settings = Object.freeze(SettingsSchema.parse({ version: 1 }));

export interface LoadedSettings {
  readonly settings: Settings;
  /** Set when the file existed but was unreadable; it was moved to `movedTo`. */
  readonly problem?: { readonly message: string; readonly movedTo: string };
}

export interface SettingsStore {
  readonly file: string;
  load(): Promise<LoadedSettings>;
  /** Validates and writes atomically (temp file + rename); returns what was written. */
  save(settings: Settings): Promise<Settings>;
  /** load -> change -> save, in one call. */
  update(change: (current: Settings) => Settings): Promise<Settings>;
}

/** A settings store over `<dir>/settings.json`. `now` names moved-aside files (tests pin it). */
export function createSettingsStore(dir: string, now: () => Date = () => new Date()): SettingsStore {
  const file = path.join(dir, "settings.json");

  async function load(): Promise<LoadedSettings> {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { settings: DEFAULT_SETTINGS };
      throw error;
    }
    let message: string;
    try {
      const parsed = SettingsSchema.safeParse(JSON.parse(text));
      if (parsed.success) return { settings: parsed.data };
      message = z.prettifyError(parsed.error);
    } catch (error) {
      message = `not JSON: ${(error as Error).message}`;
    }
    const movedTo = `${file}.invalid-${now().toISOString().replace(/[:.]/g, "-")}`;
    await rename(file, movedTo);
    return { settings: DEFAULT_SETTINGS, problem: { message, movedTo } };
  }

  async function save(settings: Settings): Promise<Settings> {
    const valid = SettingsSchema.parse(settings);
    await mkdir(dir, { recursive: true });
    const tmp = `${file}.${randomUUID()}.tmp`;
    await writeFile(tmp, `${JSON.stringify(valid, null, 2)}\n`, { encoding: "utf8", mode: 0o600 });
    await rename(tmp, file);
    return valid;
  }

  // Writes run one at a time, so two quick updates cannot both read the old file.
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  };

  return {
    file,
    load,
    save: (settings) => serialized(() => save(settings)),
    update: (change) => serialized(async () => save(change((await load()).settings))),
  };
}
