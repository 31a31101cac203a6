import { parseArgs } from "node:util";
import { z } from "zod";
import { DisplayName, Password, Role, Username } from "../protocol/index.js";
import { configFromEnv } from "./config.js";
import { openDataStore, type DataStore } from "./store/index.js";

const USAGE = `Lockstep admin — manage accounts and applications in DATABASE_PATH.

Usage: npm run admin -- <command> [options]

  create-user --username <name> --display-name <name>     password from LOCKSTEP_PASSWORD
  create-application --name <name> --owner <username>
  set-member --application <id or name> --username <name> --role owner|editor|viewer
  remove-member --application <id or name> --username <name>
  list-users
  list-applications

Example: DATABASE_PATH=/var/lib/lockstep/lockstep.db LOCKSTEP_PASSWORD=… npm run admin -- create-user --username alice --display-name "Alice Martin"`;

class UsageError extends Error {}

const need = <T extends z.ZodType>(schema: T, value: unknown, flag: string): z.output<T> => {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new UsageError(`--${flag}: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  return parsed.data;
};

function findApplication(data: DataStore, ref: string) {
  const byId = data.workspaces.getApplication(ref);
  if (byId) return byId;
  const matches = data.db.prepare("SELECT id, name FROM applications WHERE name = ?").all(ref) as { id: string; name: string }[];
  if (matches.length === 1 && matches[0]) return matches[0];
  throw new UsageError(matches.length === 0 ? `No application "${ref}".` : `Several applications are named "${ref}"; use its id.`);
}

function findUser(data: DataStore, username: string) {
  const user = data.accounts.findUserByUsername(username);
  if (!user) throw new UsageError(`No user "${username}".`);
  return user;
}

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || command === "help" || command === "--help") {
    console.log(USAGE);
    return;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      username: { type: "string" },
      "display-name": { type: "string" },
      name: { type: "string" },
      owner: { type: "string" },
      application: { type: "string" },
      role: { type: "string" },
    },
    strict: true,
  });
  const config = configFromEnv(process.env);
  if (config.databasePath === ":memory:") {
    throw new UsageError("Set DATABASE_PATH to the server's SQLite file (the admin tool changes that file).");
  }
  const data = openDataStore(config.databasePath, { scryptCost: config.scryptCost, sessionTtlMs: config.sessionTtlMs });
  try {
    switch (command) {
      case "create-user": {
        const username = need(Username, values.username, "username");
        const displayName = need(DisplayName, values["display-name"] ?? username, "display-name");
        const password = need(Password, process.env.LOCKSTEP_PASSWORD, "password (LOCKSTEP_PASSWORD)");
        if (data.accounts.findUserByUsername(username)) throw new UsageError(`User "${username}" exists already.`);
        const user = await data.accounts.createUser({ username, displayName, password });
        console.log(`created user ${user.username} (${user.id})`);
        return;
      }
      case "create-application": {
        const name = need(z.string().trim().min(1).max(120), values.name, "name");
        const owner = findUser(data, need(Username, values.owner, "owner"));
        const app = data.workspaces.createApplication(name, owner.id);
        console.log(`created application "${app.name}" (${app.id}) owned by ${owner.username}`);
        return;
      }
      case "set-member": {
        const app = findApplication(data, need(z.string().min(1), values.application, "application"));
        const user = findUser(data, need(Username, values.username, "username"));
        const role = need(Role, values.role, "role");
        data.workspaces.setMember(app.id, user.id, role);
        console.log(`${user.username} is ${role} of "${app.name}"`);
        return;
      }
      case "remove-member": {
        const app = findApplication(data, need(z.string().min(1), values.application, "application"));
        const user = findUser(data, need(Username, values.username, "username"));
        if (!data.workspaces.removeMember(app.id, user.id)) throw new UsageError(`${user.username} is not a member of "${app.name}".`);
        console.log(`removed ${user.username} from "${app.name}" (sockets already in its rooms keep them until they reconnect; remove members through the API to revoke at once)`);
        return;
      }
      case "list-users":
        for (const u of data.db.prepare("SELECT id, username, display_name FROM users ORDER BY username").all() as {
          id: string;
          username: string;
          display_name: string;
        }[]) {
          console.log(`${u.username}\t${u.display_name}\t${u.id}`);
        }
        return;
      case "list-applications":
        for (const a of data.db.prepare("SELECT id, name FROM applications ORDER BY name").all() as { id: string; name: string }[]) {
          const members = data.workspaces.members(a.id).map((m) => `${m.username}:${m.role}`);
          console.log(`${a.name}\t${a.id}\t${members.join(", ")}`);
        }
        return;
      default:
        throw new UsageError(`Unknown command "${command}".\n\n${USAGE}`);
    }
  } finally {
    data.close();
  }
}

run(process.argv.slice(2)).catch((err: unknown) => {
  console.error(`lockstep admin: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS") ? 2 : 1);
});
