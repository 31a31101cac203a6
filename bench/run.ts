import { parseArgs } from "node:util";
import { formatLoad, runSuite } from "./suite.js";

/**
 * `npm run bench` (full sizes, a few minutes) and `npm run bench:smoke` (tiny sizes, seconds).
 * Prints the Markdown table on stdout; progress goes to stderr.
 * Options: --smoke, --only 1,3 (benchmark numbers), --cpu-prof (V8 profiles of the servers,
 * kept in the run folder), --keep (keep logs and databases), --server-from-sources (run the
 * server under tsx instead of bundled, so profiles name the source files), --server-entry
 * <file> (run another server entry, e.g. a patched copy, to measure a fix before applying it).
 */
const { values } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    only: { type: "string" },
    "cpu-prof": { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    "server-from-sources": { type: "boolean", default: false },
    "server-entry": { type: "string" },
  },
});

const only = values.only?.split(",").map((s) => Number(s.trim())).filter((n) => n >= 1 && n <= 5);
let interrupted = false;
const stopOn = (signal: NodeJS.Signals): void => {
  process.once(signal, () => {
    interrupted = true;
    console.error(`${signal}: stopping`);
    // process.exit runs the exit hook that kills every child the bench started.
    process.exit(130);
  });
};
stopOn("SIGINT");
stopOn("SIGTERM");

const result = await runSuite({
  profile: values.smoke ? "smoke" : "full",
  ...(only && only.length > 0 ? { only } : {}),
  cpuProf: values["cpu-prof"],
  keep: values.keep,
  serverFromSources: values["server-from-sources"],
  ...(values["server-entry"] ? { serverEntry: values["server-entry"] } : {}),
});
if (!interrupted) {
  console.log(result.table);
  console.log();
  const others = Object.entries(result.othersLoad).map(([n, load]) => `${n}: ${Math.round(load * 100)}%`);
  console.log(`Machine: ${result.machine}; ${formatLoad(result.backgroundLoad)}.`);
  if (others.length > 0) console.log(`CPU used by other processes (not this run) during each benchmark: ${others.join(", ")}.`);
  console.log(`Took ${result.seconds.toFixed(0)} s.${values.keep || values["cpu-prof"] ? ` Logs and profiles: ${result.runDir}` : ""}`);
  const failed = result.rows.filter((r) => r.verdict === "not measured" && r.remark?.startsWith("failed"));
  process.exitCode = failed.length > 0 ? 1 : 0;
}
