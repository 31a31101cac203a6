import { execFileSync } from "node:child_process";

/** Fails the run at once, with a readable line, when redis-server is not installed. */
export default function setup(): void {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "pipe" });
  } catch {
    throw new Error(
      "redis-server is not on PATH. The tests start their own Redis on a free port: " +
        "install it (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis).",
    );
  }
}
