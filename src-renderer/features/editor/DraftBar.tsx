import { useState } from "react";
import { useActions, useRendererStore } from "../../app/context.js";
import { localTime } from "../../lock/describe.js";
import { ConfirmDialog } from "../../ui/Dialog.js";

const fileName = (title: string): string => `${title.replace(/[\\/:*?"<>|]+/g, "_").slice(0, 80) || "document"} (draft).md`;

/**
 * Unsaved text kept on this computer that is not what the editor shows (the lock was lost, or
 * the window closed before a save). It can be copied, downloaded, re-applied once the lock is
 * held again, or deliberately discarded.
 */
export function DraftBar() {
  const actions = useActions();
  const documentId = useRendererStore("editor", (s) => s.documentId);
  const text = useRendererStore("editor", (s) => s.text);
  const liveDraft = useRendererStore("editor", (s) => s.liveDraft);
  const draft = useRendererStore("drafts", (s) => (documentId ? s.drafts[documentId] : undefined));
  const storageError = useRendererStore("drafts", (s) => s.storageError);
  const held = useRendererStore("locks", (s) => s.machine.kind === "held");
  const notices = useRendererStore("notices", (s) => s.push);
  const [confirmDiscard, setConfirmDiscard] = useState(false);

  const visible = draft !== undefined && draft.content !== text && !(held && liveDraft);
  if (!visible) {
    return (
      <div className="draft-bar draft-bar-empty" data-testid="draft-bar">
        {storageError !== null && <span className="form-error">{storageError}</span>}
      </div>
    );
  }

  return (
    <div className="draft-bar" data-testid="draft-bar" data-has-draft="true">
      <span className="draft-text" title={`Unsaved text from ${localTime(draft.updatedAt)}, kept on this computer`}>
        Your unsaved text from {localTime(draft.updatedAt)} ({draft.content.length.toLocaleString()} characters) is kept as a draft.
      </span>
      <button
        type="button"
        onClick={() => {
          navigator.clipboard.writeText(draft.content).then(
            () => notices("success", "Draft copied to the clipboard."),
            () => notices("error", "Could not copy: the clipboard is not available. Use Download instead."),
          );
        }}
      >
        Copy draft
      </button>
      <button
        type="button"
        onClick={() => {
          const url = URL.createObjectURL(new Blob([draft.content], { type: "text/markdown;charset=utf-8" }));
          const a = document.createElement("a");
          a.href = url;
          a.download = fileName(draft.title);
          a.click();
          setTimeout(() => URL.revokeObjectURL(url), 10_000);
        }}
      >
        Download draft
      </button>
      <button
        type="button"
        className="primary"
        aria-disabled={!held}
        title={held ? "Replace the editor's text with the draft" : "Available once you hold the edit lock"}
        onClick={() => {
          if (held) actions.reapplyDraft();
        }}
      >
        Re-apply draft
      </button>
      <button type="button" className="link-button" onClick={() => setConfirmDiscard(true)}>
        Discard…
      </button>
      {confirmDiscard && (
        <ConfirmDialog
          title="Discard the draft?"
          testId="discard-draft-dialog"
          message={<p>The unsaved text ({draft.content.length.toLocaleString()} characters) will be deleted from this computer.</p>}
          confirmLabel="Discard draft"
          danger
          onCancel={() => setConfirmDiscard(false)}
          onConfirm={() => {
            setConfirmDiscard(false);
            actions.discardDraft();
          }}
        />
      )}
    </div>
  );
}
