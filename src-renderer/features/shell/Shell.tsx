import { useCallback, useEffect } from "react";
import { useActions, useRendererStore } from "../../app/context.js";
import { DocumentSidebar } from "../documents/DocumentSidebar.js";
import { EditorScreen } from "../editor/EditorScreen.js";
import { ConnectionStatus } from "./ConnectionStatus.js";
import { Notices } from "./Notices.js";

const DOC_HASH = /^#\/d\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/** The open document lives in the URL (`#/d/<uuid>`): reload and links keep it open. */
export function useDocumentRoute(): { open(id: string): void; close(): void } {
  const actions = useActions();
  useEffect(() => {
    const apply = (): void => {
      const m = DOC_HASH.exec(window.location.hash);
      if (m?.[1]) void actions.openDocument(m[1].toLowerCase());
      else void actions.closeDocument();
    };
    apply();
    window.addEventListener("hashchange", apply);
    return () => window.removeEventListener("hashchange", apply);
  }, [actions]);
  return {
    open: useCallback((id: string) => {
      window.location.hash = `#/d/${id}`;
    }, []),
    close: useCallback(() => {
      window.location.hash = "";
    }, []),
  };
}

export function Shell() {
  const actions = useActions();
  const me = useRendererStore("session", (s) => s.me);
  const openId = useRendererStore("editor", (s) => s.documentId);
  const route = useDocumentRoute();

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to document
      </a>
      <header className="topbar">
        <span className="brand">Lockstep</span>
        <ConnectionStatus />
        <span className="spacer" />
        <span className="user" data-testid="current-user">
          {me?.user.display_name}
        </span>
        <button
          type="button"
          onClick={() => {
            history.replaceState(null, "", window.location.pathname + window.location.search);
            void actions.signOut();
          }}
        >
          Sign out
        </button>
      </header>
      <div className="layout">
        <aside className="sidebar" aria-label="Documents">
          <DocumentSidebar onOpen={route.open} openId={openId} />
        </aside>
        <main id="main" className="main" tabIndex={-1}>
          {openId === null ? (
            <div className="empty-state">
              <p>Choose a document on the left, or create one.</p>
            </div>
          ) : (
            <EditorScreen key={openId} onClose={route.close} />
          )}
        </main>
      </div>
      <Notices />
    </div>
  );
}
