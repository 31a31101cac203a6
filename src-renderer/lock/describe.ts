import type { DocumentPermissions, LockHolder, LockState } from "../../protocol/index.js";
import { isMineElsewhere, type LockMachineState, type LockNotice, type LossInfo, type Me } from "./machine.js";

/** Formats an ISO timestamp as a short local time ("10:32"); injected so tests are stable. */
export type TimeFormat = (iso: string) => string;

export const localTime: TimeFormat = (iso) => {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay
    ? d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" })
    : d.toLocaleString(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
};

export const holderName = (h: LockHolder): string => h.display_name || h.user_name;

/** The action a banner offers; the UI renders it as a button. */
export type BannerAction =
  /** Owners, someone else holds the lock: force-take after a confirmation naming them. */
  | { readonly kind: "take_over"; readonly holder: LockHolder }
  /** The holder is me elsewhere: take it here (self force-take, no confirmation needed). */
  | { readonly kind: "edit_here" }
  /** Lost, nobody is known to hold it: try again now. */
  | { readonly kind: "retry" };

export interface Banner {
  readonly tone: "info" | "editing" | "locked" | "warning";
  readonly text: string;
  readonly action: BannerAction | null;
}

function lossText(loss: LossInfo, mine: boolean, fmt: TimeFormat): string {
  const at = fmt(loss.at);
  const h = loss.holder;
  if (h !== null && mine) return `You are now editing this in another window (since ${at}).`;
  switch (loss.reason) {
    case "force_taken":
      return h ? `🔒 ${holderName(h)} took over editing at ${at}.` : `Editing was taken over at ${at}.`;
    case "taken":
      return h ? `🔒 ${holderName(h)} is editing now (since ${at}); you lost the lock.` : `You lost the edit lock at ${at}.`;
    case "expired":
      return h ? `Your edit lock expired at ${at}; 🔒 ${holderName(h)} is editing now.` : `Your edit lock expired at ${at}.`;
    case "save_refused":
      return h
        ? `Your last save was refused at ${at}: 🔒 ${holderName(h)} holds the lock.`
        : `Your last save was refused at ${at}: you no longer hold the lock.`;
    case "resync":
      return h
        ? `You lost the edit lock while the connection to the lock server was interrupted; 🔒 ${holderName(h)} is editing (${at}).`
        : `Your edit lock ran out while the connection to the lock server was interrupted (${at}).`;
    default: {
      const _never: never = loss.reason;
      return _never;
    }
  }
}

/**
 * The lock banner of the editor: what it says and the one action it offers. Pure, so the
 * wording of every state is tested without a browser. `live` is the room's last known lock
 * (used for viewers, who never acquire).
 */
export function lockBanner(
  machine: LockMachineState,
  me: Me,
  permissions: DocumentPermissions | null,
  live: LockState | undefined,
  fmt: TimeFormat = localTime,
): Banner | null {
  const canForce = permissions?.force_take === true;
  const takeOverFor = (h: LockHolder | null, mine: boolean): BannerAction | null => {
    if (h === null) return null;
    if (mine) return permissions?.edit === false ? null : { kind: "edit_here" };
    return canForce ? { kind: "take_over", holder: h } : null;
  };
  switch (machine.kind) {
    case "idle":
      return null;
    case "readonly": {
      const h = live?.holder ?? null;
      return {
        tone: "info",
        text: h
          ? `Read-only: you can view this document. 🔒 ${holderName(h)} is editing · since ${fmt(h.acquired_at)}`
          : "Read-only: you can view this document.",
        action: null,
      };
    }
    case "acquiring":
      if (machine.loss !== null) {
        return { tone: "warning", text: `${lossText(machine.loss, false, fmt)} Getting it back…`, action: null };
      }
      return { tone: "info", text: machine.via === "force" ? "Taking over editing…" : "Getting edit access…", action: null };
    case "held":
      return { tone: "editing", text: "You are editing", action: null };
    case "blocked": {
      const h = machine.holder;
      if (machine.mine) {
        return { tone: "locked", text: "You are editing this in another window.", action: takeOverFor(h, true) };
      }
      return {
        tone: "locked",
        text: `🔒 ${holderName(h)} is editing · since ${fmt(h.acquired_at)}`,
        action: takeOverFor(h, false),
      };
    }
    case "lost": {
      const { loss, mine } = machine;
      const action = loss.holder === null ? ({ kind: "retry" } as const) : takeOverFor(loss.holder, mine);
      return { tone: "warning", text: lossText(loss, mine, fmt), action };
    }
    default: {
      const _never: never = machine;
      return _never;
    }
  }
}

/** The text of a one-off lock notice. */
export function lockNoticeText(n: LockNotice, me: Me): { tone: "success" | "warning" | "error"; text: string } {
  switch (n.kind) {
    case "acquired_after_wait":
      return {
        tone: "success",
        text:
          n.previous && !isMineElsewhere(n.previous, me)
            ? `${holderName(n.previous)} stopped editing. You are editing now.`
            : "The document is free. You are editing now.",
      };
    case "reacquired_after_loss":
      return { tone: "success", text: "You have the edit lock again." };
    case "took_over":
      if (n.previous === null) return { tone: "success", text: "You are editing now." };
      return {
        tone: "success",
        text: isMineElsewhere(n.previous, me)
          ? "You are editing here now; your other window became read-only."
          : `You took over editing from ${holderName(n.previous)}.`,
      };
    case "take_over_failed":
      return { tone: "error", text: `Could not take over editing: ${n.message}` };
    case "acquire_failed":
      return { tone: "warning", text: `Could not get edit access yet (${n.message}). Retrying…` };
    default: {
      const _never: never = n;
      return _never;
    }
  }
}
