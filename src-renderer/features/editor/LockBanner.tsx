import { useState } from "react";
import { useActions, useRendererStore } from "../../app/context.js";
import { holderName, localTime, lockBanner } from "../../lock/describe.js";
import type { LockHolder } from "../../../protocol/index.js";
import { ConfirmDialog } from "../../ui/Dialog.js";

/** The lock line of the editor. Its slot is always reserved, so nothing jumps when it changes. */
export function LockBanner() {
  const actions = useActions();
  const machine = useRendererStore("locks", (s) => s.machine);
  const documentId = machine.kind === "idle" ? null : machine.documentId;
  const live = useRendererStore("locks", (s) => (documentId ? s.live[documentId] : undefined));
  const permissions = useRendererStore("editor", (s) => s.doc?.permissions ?? null);
  const userId = useRendererStore("session", (s) => s.me?.user.id ?? "");
  const clientId = useRendererStore("session", (s) => s.clientId);
  const [confirming, setConfirming] = useState<LockHolder | null>(null);

  const banner = lockBanner(machine, { userId, clientId }, permissions, live);
  return (
    <div className={`banner banner-${banner?.tone ?? "none"}`} data-testid="lock-banner">
      <span className="banner-text">{banner?.text ?? ""}</span>
      {banner?.action?.kind === "take_over" && (
        <button type="button" className="primary" onClick={() => setConfirming((banner.action as { holder: LockHolder }).holder)}>
          Take over editing
        </button>
      )}
      {banner?.action?.kind === "edit_here" && (
        <button type="button" className="primary" onClick={() => actions.takeOver()}>
          Edit here instead
        </button>
      )}
      {banner?.action?.kind === "retry" && (
        <button type="button" onClick={() => actions.retryLock()}>
          Try to edit again
        </button>
      )}
      {confirming !== null && (
        <ConfirmDialog
          title="Take over editing?"
          testId="take-over-dialog"
          message={
            <p>
              <strong>{holderName(confirming)}</strong> has been editing this document since {localTime(confirming.acquired_at)}. If
              you take over, {holderName(confirming)} loses the lock at once and can no longer save here; their unsaved text stays
              on their computer as a draft.
            </p>
          }
          confirmLabel={`Take over from ${holderName(confirming)}`}
          onCancel={() => setConfirming(null)}
          onConfirm={() => {
            setConfirming(null);
            actions.takeOver();
          }}
        />
      )}
    </div>
  );
}
