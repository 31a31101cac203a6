import { createStore, type StateCreator } from "zustand/vanilla";
import type { Application, DocumentSummary, Project } from "../../protocol/index.js";

export interface ListSlice {
  /** Documents I can see, by id. */
  documents: Record<string, DocumentSummary>;
  loaded: boolean;
  listError: string | null;
  setDocuments(list: readonly DocumentSummary[]): void;
  upsertDocument(doc: DocumentSummary): void;
  removeDocument(id: string): void;
  /** A `document_updated` event: newer version and title. Older versions are ignored. */
  applyUpdated(ev: { document_id: string; version: number; title: string; updated_by: string; at: string }): void;
  setListError(message: string | null): void;
}

export interface ScopeSlice {
  applications: Application[];
  /** Projects per application id. */
  projects: Record<string, Project[]>;
  setApplications(apps: readonly Application[]): void;
  setProjects(applicationId: string, projects: readonly Project[]): void;
}

export interface FilterSlice {
  /** The search box: a case-insensitive title filter. */
  query: string;
  setQuery(query: string): void;
}

export type DocumentsState = ListSlice & ScopeSlice & FilterSlice;

const createListSlice: StateCreator<DocumentsState, [], [], ListSlice> = (set) => ({
  documents: {},
  loaded: false,
  listError: null,
  setDocuments: (list) =>
    set({ documents: Object.fromEntries(list.map((d) => [d.id, d])), loaded: true, listError: null }),
  upsertDocument: (doc) => set((s) => ({ documents: { ...s.documents, [doc.id]: doc } })),
  removeDocument: (id) =>
    set((s) => {
      if (!(id in s.documents)) return s;
      const { [id]: _gone, ...rest } = s.documents;
      return { documents: rest };
    }),
  applyUpdated: (ev) =>
    set((s) => {
      const doc = s.documents[ev.document_id];
      if (!doc || doc.version >= ev.version) return s;
      return {
        documents: {
          ...s.documents,
          [doc.id]: { ...doc, version: ev.version, title: ev.title, updated_by: ev.updated_by, updated_at: ev.at },
        },
      };
    }),
  setListError: (listError) => set({ listError }),
});

const createScopeSlice: StateCreator<DocumentsState, [], [], ScopeSlice> = (set) => ({
  applications: [],
  projects: {},
  setApplications: (apps) => set({ applications: [...apps] }),
  setProjects: (applicationId, projects) => set((s) => ({ projects: { ...s.projects, [applicationId]: [...projects] } })),
});

const createFilterSlice: StateCreator<DocumentsState, [], [], FilterSlice> = (set) => ({
  query: "",
  setQuery: (query) => set({ query }),
});

export function createDocumentsStore() {
  return createStore<DocumentsState>()((...a) => ({
    ...createListSlice(...a),
    ...createScopeSlice(...a),
    ...createFilterSlice(...a),
  }));
}
export type DocumentsStore = ReturnType<typeof createDocumentsStore>;

// ---------------------------------------------------------------- selectors (pure)

export interface DocumentGroup {
  /** Stable key: `personal`, `app:<id>` or `project:<id>`. */
  readonly key: string;
  readonly kind: "personal" | "application" | "project";
  readonly label: string;
  /** For projects: the application's name, shown as context. */
  readonly parentLabel: string | null;
  readonly applicationId: string | null;
  readonly projectId: string | null;
  readonly documents: readonly DocumentSummary[];
}

const byTitle = (a: DocumentSummary, b: DocumentSummary): number =>
  a.title.localeCompare(b.title, undefined, { sensitivity: "base" }) || a.id.localeCompare(b.id);

/**
 * The sidebar: Personal first, then each application followed by its projects, by name.
 * Applications and projects are listed even when empty (so one can create into them), except
 * while searching, when only groups with matches remain. Documents whose application or project
 * is not (yet) known are put in a group of their own instead of being hidden.
 */
export function groupDocuments(
  s: Pick<DocumentsState, "documents" | "applications" | "projects" | "query">,
): DocumentGroup[] {
  const q = s.query.trim().toLocaleLowerCase();
  const docs = Object.values(s.documents)
    .filter((d) => q === "" || d.title.toLocaleLowerCase().includes(q))
    .sort(byTitle);

  const projectById = new Map<string, Project>();
  for (const list of Object.values(s.projects)) for (const p of list) projectById.set(p.id, p);

  const buckets = new Map<string, DocumentSummary[]>();
  const put = (key: string, d: DocumentSummary): void => {
    const list = buckets.get(key);
    if (list) list.push(d);
    else buckets.set(key, [d]);
  };
  for (const d of docs) {
    if (d.scope === "personal") put("personal", d);
    else if (d.scope === "project" && d.project_id !== null) put(`project:${d.project_id}`, d);
    else if (d.application_id !== null) put(`app:${d.application_id}`, d);
    else put("unknown", d);
  }

  const keep = (g: DocumentGroup): boolean => q === "" || g.documents.length > 0;
  const groups: DocumentGroup[] = [];
  const personal: DocumentGroup = {
    key: "personal",
    kind: "personal",
    label: "Personal",
    parentLabel: null,
    applicationId: null,
    projectId: null,
    documents: buckets.get("personal") ?? [],
  };
  if (keep(personal)) groups.push(personal);
  buckets.delete("personal");

  const apps = [...s.applications].sort((a, b) => a.name.localeCompare(b.name));
  for (const app of apps) {
    const g: DocumentGroup = {
      key: `app:${app.id}`,
      kind: "application",
      label: app.name,
      parentLabel: null,
      applicationId: app.id,
      projectId: null,
      documents: buckets.get(`app:${app.id}`) ?? [],
    };
    buckets.delete(g.key);
    if (keep(g)) groups.push(g);
    const projects = [...(s.projects[app.id] ?? [])].sort((a, b) => a.name.localeCompare(b.name));
    for (const p of projects) {
      const pg: DocumentGroup = {
        key: `project:${p.id}`,
        kind: "project",
        label: p.name,
        parentLabel: app.name,
        applicationId: app.id,
        projectId: p.id,
        documents: buckets.get(`project:${p.id}`) ?? [],
      };
      buckets.delete(pg.key);
      if (keep(pg)) groups.push(pg);
    }
  }

  // Leftovers: a project or application the lists did not (yet) name.
  for (const [key, list] of buckets) {
    const project = key.startsWith("project:") ? projectById.get(key.slice(8)) : undefined;
    groups.push({
      key,
      kind: key.startsWith("project:") ? "project" : "application",
      label: project?.name ?? "Other documents",
      parentLabel: null,
      applicationId: project?.application_id ?? null,
      projectId: project?.id ?? null,
      documents: list,
    });
  }
  return groups;
}
