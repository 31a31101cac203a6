/**
 * The one output of `npm run bench`: a Markdown table, one row per measurement, each a ratio
 * against a reference measured in the same run (absolute figures are given for context: the
 * machines are shared and noisy).
 */

/** A measured figure; `value` is null only for a row that could not be measured. */
export interface Figure {
  readonly value: number | null;
  readonly unit: string;
  /** What the figure is (e.g. "redlock"); shown before the number for references. */
  readonly label?: string;
  /** Extra context shown after the number (e.g. "p50 12 ms"). */
  readonly note?: string;
}

export type Verdict = "met" | "missed" | "info" | "not measured";

export interface Row {
  /** Stable id, e.g. "1a"; the smoke test checks that every id is present. */
  readonly id: string;
  readonly title: string;
  readonly lockstep: Figure;
  readonly reference: Figure;
  /** lockstep / reference; null when not measured. */
  readonly ratio: number | null;
  /** Which way is good for the ratio. */
  readonly better: "higher" | "lower";
  /** The goal in words, e.g. "ratio ≥ 1.0" or "p99 ≤ 50 ms". */
  readonly goal: string;
  readonly verdict: Verdict;
  /** For a missed goal, by how much; for "not measured", why. */
  readonly remark?: string;
}

/** Every row `npm run bench` prints, in order. */
export const ROW_IDS = ["1a", "1b", "1c", "2a", "2b", "3a", "3b", "4a", "4b", "4c", "5a", "5b", "5c"] as const;

export function formatNumber(value: number): string {
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function formatFigure(f: Figure): string {
  const value = f.value === null ? "—" : `${formatNumber(f.value)}${f.unit ? ` ${f.unit}` : ""}`;
  const label = f.label ? `${f.label}: ` : "";
  const note = f.note ? ` (${f.note})` : "";
  return `${label}${value}${note}`;
}

const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

export function renderTable(rows: readonly Row[]): string {
  const lines = [
    "| # | Benchmark | Lockstep | Reference (same run) | Ratio | Goal | Result |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    const ratio = r.ratio === null ? "—" : `${formatNumber(r.ratio)}× (${r.better} is better)`;
    const result = r.remark ? `${r.verdict}: ${r.remark}` : r.verdict;
    lines.push(
      `| ${[r.id, r.title, formatFigure(r.lockstep), formatFigure(r.reference), ratio, r.goal, result].map(cell).join(" | ")} |`,
    );
  }
  return lines.join("\n");
}

/** Builds a row from a ratio goal ("ratio ≥ min" or "ratio ≤ max"); `info` rows have no goal. */
export function ratioRow(
  base: Omit<Row, "ratio" | "verdict" | "remark" | "goal"> & { goal?: { min?: number; max?: number; text: string } },
): Row {
  const { goal, ...rest } = base;
  const ratio = base.lockstep.value !== null && base.reference.value !== null && base.reference.value !== 0
    ? base.lockstep.value / base.reference.value
    : null;
  if (ratio === null) {
    return { ...rest, ratio, goal: goal?.text ?? "—", verdict: "not measured", remark: "no figure" };
  }
  if (!goal) return { ...rest, ratio, goal: "—", verdict: "info" };
  if (goal.min !== undefined && ratio < goal.min) {
    return { ...rest, ratio, goal: goal.text, verdict: "missed", remark: `${formatNumber(ratio)}× is ${formatNumber((1 - ratio / goal.min) * 100)}% below ${goal.min}×` };
  }
  if (goal.max !== undefined && ratio > goal.max) {
    return { ...rest, ratio, goal: goal.text, verdict: "missed", remark: `${formatNumber(ratio)}× is ${formatNumber((ratio / goal.max - 1) * 100)}% above ${goal.max}×` };
  }
  return { ...rest, ratio, goal: goal.text, verdict: "met" };
}

/** A row judged on an absolute limit of the Lockstep figure, still shown with its ratio. */
export function limitRow(
  base: Omit<Row, "ratio" | "verdict" | "remark" | "goal">,
  limit: { max?: number; min?: number; text: string },
): Row {
  const ratio = base.lockstep.value !== null && base.reference.value !== null && base.reference.value !== 0
    ? base.lockstep.value / base.reference.value
    : null;
  const v = base.lockstep.value;
  if (v === null) return { ...base, ratio, goal: limit.text, verdict: "not measured", remark: "no figure" };
  if (limit.max !== undefined && v > limit.max) {
    return { ...base, ratio, goal: limit.text, verdict: "missed", remark: `${formatNumber(v)} ${base.lockstep.unit} is ${formatNumber((v / limit.max - 1) * 100)}% over` };
  }
  if (limit.min !== undefined && v < limit.min) {
    return { ...base, ratio, goal: limit.text, verdict: "missed", remark: `${formatNumber(v)} ${base.lockstep.unit} is ${formatNumber((1 - v / limit.min) * 100)}% short` };
  }
  return { ...base, ratio, goal: limit.text, verdict: "met" };
}

/** A row that could not be measured, with the reason. */
export function notMeasured(base: Pick<Row, "id" | "title" | "better" | "goal">, unit: string, reason: string): Row {
  return {
    ...base,
    lockstep: { value: null, unit },
    reference: { value: null, unit },
    ratio: null,
    verdict: "not measured",
    remark: reason,
  };
}
