import { describe, expect, it } from "vitest";
import { ROW_IDS } from "../../bench/lib/table.js";
import { runSuite } from "../../bench/suite.js";

/**
 * Keeps `npm run bench` working: every benchmark runs end to end at tiny sizes (real Redis,
 * real server processes, load in child processes) and fills its rows with numbers. The
 * figures themselves are not judged here: a benchmark is not a timed test.
 */
describe("bench smoke", () => {
  it("runs every benchmark and prints a table whose rows all have numeric figures", async () => {
    const log: string[] = [];
    const result = await runSuite({ profile: "smoke", log: (m) => log.push(m) });

    expect(result.rows.map((r) => r.id)).toEqual([...ROW_IDS]);
    for (const row of result.rows) {
      const why = `${row.id} ${row.title}: ${row.verdict} ${row.remark ?? ""}\n${log.join("\n")}`;
      expect(row.verdict, why).not.toBe("not measured");
      expect(Number.isFinite(row.lockstep.value), why).toBe(true);
      expect(Number.isFinite(row.reference.value), why).toBe(true);
      expect(Number.isFinite(row.ratio), why).toBe(true);
    }

    // The printed Markdown table: a header, a separator, then one line per row whose
    // Lockstep, reference and ratio cells each carry a number.
    const lines = result.table.split("\n");
    expect(lines[0]).toMatch(/^\| # \| Benchmark \| Lockstep \| Reference/);
    expect(lines).toHaveLength(2 + ROW_IDS.length);
    ROW_IDS.forEach((id, i) => {
      const cells = (lines[2 + i] as string).split(" | ");
      expect(cells[0]).toBe(`| ${id}`);
      for (const cell of [cells[2], cells[3], cells[4]]) expect(cell).toMatch(/\d/);
    });
  }, 60_000);
});
