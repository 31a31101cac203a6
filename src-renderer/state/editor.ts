import { createStore, type StateCreator } from "zustand/vanilla";
import type { Document } from "../../protocol/index.js";

export interface OpenDocumentSlice {
  /** The document open in this window, or null. */
  documentId: string | null;
  /** The server's copy as last fetched (title, permissions, version, content). */
  doc: Document | null;
  loading: boolean;
  loadError: string | null;
  open(documentId: string): void;
  /** A fresh server copy. Replaces the editor's text unless it holds unsaved changes we keep. */
  loaded(doc: Document, options?: { replaceText: boolean }): void;
  loadFailed(message: string): void;
  close(): void;
  /** Title changed (rename here, or a `document_updated` from elsewhere). */
  setTitle(title: string): void;
}

export interface TextSlice {
  /** What the editor shows. */
  text: string;
  /** The text the server has at `baseVersion` (what `text` is compared with for "unsaved"). */
  savedText: string;
  /** The version saves are based on. */
  baseVersion: number;
  /** Bumped whenever `text` is replaced from outside the editor (load, re-applied draft). */
  revision: number;
  /** The editor's text is being mirrored into the local draft (typing while holding the lock). */
  liveDraft: boolean;
  edited(text: string): void;
  /** Replace the text from outside the editor (re-apply a draft). */
  replaceText(text: string, options?: { liveDraft: boolean }): void;
  detachDraft(): void;
}

export interface SaveSlice {
  saving: boolean;
  saveError: string | null;
  lastSavedAt: string | null;
  saveStarted(): void;
  /** The server accepted `content` as `version`. */
  saveSucceeded(content: string, version: number, at: string): void;
  saveFailed(message: string): void;
}

export type EditorState = OpenDocumentSlice & TextSlice & SaveSlice;

const closedState = {
  documentId: null,
  doc: null,
  loading: false,
  loadError: null,
  text: "",
  savedText: "",
  baseVersion: 0,
  liveDraft: false,
  saving: false,
  saveError: null,
  lastSavedAt: null,
} as const;

const createOpenSlice: StateCreator<EditorState, [], [], OpenDocumentSlice> = (set) => ({
  documentId: null,
  doc: null,
  loading: false,
  loadError: null,
  open: (documentId) => set((s) => ({ ...closedState, documentId, loading: true, revision: s.revision + 1 })),
  loaded: (doc, options = { replaceText: true }) =>
    set((s) => {
      if (s.documentId !== doc.id) return s;
      const base = { doc, loading: false, loadError: null, savedText: doc.content, baseVersion: doc.version };
      return options.replaceText
        ? { ...base, text: doc.content, revision: s.revision + 1, liveDraft: false, saveError: null }
        : base;
    }),
  loadFailed: (loadError) => set({ loading: false, loadError }),
  close: () => set((s) => ({ ...closedState, revision: s.revision + 1 })),
  setTitle: (title) => set((s) => (s.doc ? { doc: { ...s.doc, title } } : s)),
});

const createTextSlice: StateCreator<EditorState, [], [], TextSlice> = (set) => ({
  text: "",
  savedText: "",
  baseVersion: 0,
  revision: 0,
  liveDraft: false,
  edited: (text) => set({ text, liveDraft: true }),
  replaceText: (text, options = { liveDraft: true }) =>
    set((s) => ({ text, revision: s.revision + 1, liveDraft: options.liveDraft })),
  detachDraft: () => set({ liveDraft: false }),
});

const createSaveSlice: StateCreator<EditorState, [], [], SaveSlice> = (set) => ({
  saving: false,
  saveError: null,
  lastSavedAt: null,
  saveStarted: () => set({ saving: true }),
  saveSucceeded: (content, version, at) =>
    set((s) => ({
      saving: false,
      saveError: null,
      savedText: content,
      baseVersion: version,
      lastSavedAt: at,
      doc: s.doc ? { ...s.doc, content, version, updated_at: at } : s.doc,
    })),
  saveFailed: (saveError) => set({ saving: false, saveError }),
});

export function createEditorStore() {
  return createStore<EditorState>()((...a) => ({
    ...createOpenSlice(...a),
    ...createTextSlice(...a),
    ...createSaveSlice(...a),
  }));
}
export type EditorStore = ReturnType<typeof createEditorStore>;

export type SaveStatus = "saved" | "saving" | "dirty" | "error";

/** What the save indicator says; derived, never stored. */
export function saveStatus(s: Pick<EditorState, "saving" | "saveError" | "text" | "savedText">): SaveStatus {
  if (s.saving) return "saving";
  if (s.text === s.savedText) return "saved";
  return s.saveError !== null ? "error" : "dirty";
}

export const SAVE_STATUS_LABEL: Readonly<Record<SaveStatus, string>> = Object.freeze({
  saved: "Saved",
  saving: "Saving…",
  dirty: "Unsaved changes",
  error: "Not saved — retrying",
});
