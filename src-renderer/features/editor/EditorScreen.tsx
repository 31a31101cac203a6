import { lazy, Suspense, useEffect, useId, useState } from "react";
import { describeError } from "../../api/errors.js";
import { useActions, useRendererStore } from "../../app/context.js";
import { saveStatus, SAVE_STATUS_LABEL } from "../../state/editor.js";
import { PromptDialog } from "../../ui/Dialog.js";
import { DraftBar } from "./DraftBar.js";
import { LockBanner } from "./LockBanner.js";

// CodeMirror is most of the bundle: load it only when a document is opened.
const MarkdownEditor = lazy(() => import("./MarkdownEditor.js"));

export function EditorScreen({ onClose }: { onClose: () => void }) {
  const actions = useActions();
  const doc = useRendererStore("editor", (s) => s.doc);
  const loadError = useRendererStore("editor", (s) => s.loadError);
  const status = useRendererStore("editor", saveStatus);
  const machine = useRendererStore("locks", (s) => s.machine);
  const [renaming, setRenaming] = useState(false);
  const titleId = useId();
  const writable = machine.kind === "held";

  useEffect(() => {
    // Ctrl/Cmd+S anywhere in the window saves now (and never opens the browser's "Save page").
    const onKey = (e: KeyboardEvent): void => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === "s") {
        e.preventDefault();
        void actions.saveNow();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [actions]);

  return (
    <section
      className="editor"
      aria-labelledby={titleId}
      data-testid="editor"
      data-lock-state={machine.kind}
      data-save-state={writable ? status : "readonly"}
      data-document-id={doc?.id}
    >
      <div className="editor-head">
        <h1 id={titleId} className="doc-heading" data-testid="document-title">
          {doc?.title ?? (loadError ? "Document unavailable" : "Loading…")}
        </h1>
        <span className={`save-status save-${writable ? status : "readonly"}`} role="status" data-testid="save-status">
          {writable ? SAVE_STATUS_LABEL[status] : "Read-only"}
        </span>
        {doc?.permissions.rename && (
          <button type="button" onClick={() => setRenaming(true)} data-testid="rename-open-document">
            Rename
          </button>
        )}
        <button type="button" onClick={onClose} data-testid="close-document">
          Close document
        </button>
      </div>
      <div className="banner-area" aria-live="polite">
        <LockBanner />
        <DraftBar />
      </div>
      <div className="editor-body">
        {loadError !== null ? (
          <p className="form-error" role="alert">
            Could not open this document: {loadError}
          </p>
        ) : doc === null ? (
          <p className="muted">Loading…</p>
        ) : (
          <Suspense fallback={<p className="muted">Loading the editor…</p>}>
            <MarkdownEditor
              editable={writable}
              label={`Content of ${doc.title}`}
              onChange={actions.textChanged}
              onSave={() => void actions.saveNow()}
            />
          </Suspense>
        )}
      </div>
      {renaming && doc !== null && (
        <PromptDialog
          title="Rename document"
          label="Title"
          initial={doc.title}
          submitLabel="Rename"
          maxLength={200}
          testId="rename-dialog"
          onCancel={() => setRenaming(false)}
          onSubmit={async (title) => {
            try {
              await actions.renameDocument(doc.id, title);
              setRenaming(false);
            } catch (e) {
              throw new Error(describeError(e));
            }
          }}
        />
      )}
    </section>
  );
}
