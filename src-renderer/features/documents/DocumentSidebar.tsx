import { useId, useMemo, useState } from "react";
import type { DocumentSummary } from "../../../protocol/index.js";
import { describeError } from "../../api/errors.js";
import { useActions, useRendererStore } from "../../app/context.js";
import { groupDocuments, type DocumentGroup } from "../../state/documents.js";
import { ConfirmDialog, PromptDialog } from "../../ui/Dialog.js";
import { PencilIcon, TrashIcon } from "../../ui/icons.js";
import { CreateDocumentDialog } from "./CreateDocumentDialog.js";
import { LockIndicator } from "./LockIndicator.js";

interface Props {
  readonly openId: string | null;
  readonly onOpen: (id: string) => void;
}

type Pending =
  | { kind: "create"; location: string }
  | { kind: "rename"; doc: DocumentSummary }
  | { kind: "delete"; doc: DocumentSummary }
  | { kind: "project"; applicationId: string; applicationName: string }
  | null;

export function DocumentSidebar({ openId, onOpen }: Props) {
  const actions = useActions();
  const documents = useRendererStore("documents", (s) => s.documents);
  const applications = useRendererStore("documents", (s) => s.applications);
  const projects = useRendererStore("documents", (s) => s.projects);
  const query = useRendererStore("documents", (s) => s.query);
  const setQuery = useRendererStore("documents", (s) => s.setQuery);
  const loaded = useRendererStore("documents", (s) => s.loaded);
  const listError = useRendererStore("documents", (s) => s.listError);
  const [pending, setPending] = useState<Pending>(null);
  const id = useId();

  const groups = useMemo(
    () => groupDocuments({ documents, applications, projects, query }),
    [documents, applications, projects, query],
  );
  const roleOf = (applicationId: string | null): string | undefined =>
    applications.find((a) => a.id === applicationId)?.role;

  return (
    <div className="sidebar-inner">
      <div className="sidebar-tools">
        <label htmlFor={`${id}-search`} className="visually-hidden">
          Search documents
        </label>
        <input
          id={`${id}-search`}
          type="search"
          placeholder="Search by title"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          data-testid="document-search"
        />
        <button type="button" className="primary" onClick={() => setPending({ kind: "create", location: "personal" })}>
          New document
        </button>
      </div>
      {listError !== null && (
        <p className="form-error" role="alert">
          Could not load the documents: {listError}{" "}
          <button type="button" className="link-button" onClick={() => void actions.refreshDocuments()}>
            Retry
          </button>
        </p>
      )}
      {!loaded && listError === null && <p className="muted">Loading documents…</p>}
      {loaded && groups.length === 0 && <p className="muted">No document matches “{query}”.</p>}
      <nav aria-label="Document list" className="doc-groups">
        {groups.map((g) => (
          <Group
            key={g.key}
            group={g}
            openId={openId}
            onOpen={onOpen}
            canCreate={g.kind === "personal" || (roleOf(g.applicationId) !== undefined && roleOf(g.applicationId) !== "viewer")}
            canAddProject={g.kind === "application" && roleOf(g.applicationId) === "owner"}
            onPending={setPending}
          />
        ))}
      </nav>

      {pending?.kind === "create" && (
        <CreateDocumentDialog
          initialLocation={pending.location}
          onCancel={() => setPending(null)}
          onCreated={(newId) => {
            setPending(null);
            onOpen(newId);
          }}
        />
      )}
      {pending?.kind === "rename" && (
        <PromptDialog
          title="Rename document"
          label="Title"
          initial={pending.doc.title}
          submitLabel="Rename"
          maxLength={200}
          testId="rename-dialog"
          onCancel={() => setPending(null)}
          onSubmit={async (title) => {
            try {
              await actions.renameDocument(pending.doc.id, title);
              setPending(null);
            } catch (e) {
              throw new Error(describeError(e));
            }
          }}
        />
      )}
      {pending?.kind === "delete" && (
        <ConfirmDialog
          title="Delete document?"
          message={<p>“{pending.doc.title}” will be deleted for everyone. This cannot be undone.</p>}
          confirmLabel="Delete"
          danger
          testId="delete-dialog"
          onCancel={() => setPending(null)}
          onConfirm={async () => {
            try {
              await actions.deleteDocument(pending.doc.id);
              if (openId === pending.doc.id) window.location.hash = "";
              setPending(null);
            } catch (e) {
              throw new Error(describeError(e));
            }
          }}
        />
      )}
      {pending?.kind === "project" && (
        <PromptDialog
          title={`New project in ${pending.applicationName}`}
          label="Project name"
          initial=""
          submitLabel="Create project"
          maxLength={120}
          testId="project-dialog"
          onCancel={() => setPending(null)}
          onSubmit={async (name) => {
            try {
              await actions.createProject(pending.applicationId, name);
              setPending(null);
            } catch (e) {
              throw new Error(describeError(e));
            }
          }}
        />
      )}
    </div>
  );
}

interface GroupProps {
  readonly group: DocumentGroup;
  readonly openId: string | null;
  readonly onOpen: (id: string) => void;
  readonly canCreate: boolean;
  readonly canAddProject: boolean;
  readonly onPending: (p: Pending) => void;
}

function Group({ group, openId, onOpen, canCreate, canAddProject, onPending }: GroupProps) {
  const headingId = useId();
  const live = useRendererStore("locks", (s) => s.live);
  const myUserId = useRendererStore("session", (s) => s.me?.user.id ?? "");
  const myClientId = useRendererStore("session", (s) => s.clientId);
  const location = group.kind === "personal" ? "personal" : group.projectId ? `project:${group.projectId}` : `app:${group.applicationId}`;
  return (
    <section className={`doc-group doc-group-${group.kind}`} aria-labelledby={headingId} data-testid={`group-${group.key}`}>
      <div className="doc-group-head">
        <h2 id={headingId}>
          {group.parentLabel !== null && <span className="muted">{group.parentLabel} / </span>}
          {group.label}
        </h2>
        {canCreate && (
          <button
            type="button"
            className="icon-button"
            aria-label={`New document in ${group.label}`}
            title={`New document in ${group.label}`}
            onClick={() => onPending({ kind: "create", location })}
          >
            +
          </button>
        )}
        {canAddProject && group.applicationId !== null && (
          <button
            type="button"
            className="icon-button"
            aria-label={`New project in ${group.label}`}
            title={`New project in ${group.label}`}
            onClick={() => onPending({ kind: "project", applicationId: group.applicationId as string, applicationName: group.label })}
          >
            ▤
          </button>
        )}
      </div>
      {group.documents.length === 0 ? (
        <p className="muted doc-empty">No documents</p>
      ) : (
        <ul className="doc-list">
          {group.documents.map((d) => (
            <li key={d.id} className={d.id === openId ? "doc-row current" : "doc-row"} data-testid="document-row" data-document-id={d.id}>
              {/* Named by the title alone (stable for tests and screen readers); the lock is its description. */}
              <button
                type="button"
                className="doc-open"
                aria-label={d.title}
                aria-describedby={`lock-${d.id}`}
                aria-current={d.id === openId ? "page" : undefined}
                onClick={() => onOpen(d.id)}
                data-testid="open-document"
              >
                <span className="doc-title">{d.title}</span>
                <LockIndicator id={`lock-${d.id}`} lock={live[d.id] ?? d.lock} myUserId={myUserId} myClientId={myClientId} />
              </button>
              {d.permissions.rename && (
                <button
                  type="button"
                  className="icon-button row-action"
                  aria-label={`Rename “${d.title}”`}
                  title="Rename"
                  data-testid="rename-document"
                  onClick={() => onPending({ kind: "rename", doc: d })}
                >
                  <PencilIcon />
                </button>
              )}
              {d.permissions.delete && (
                <button
                  type="button"
                  className="icon-button row-action"
                  aria-label={`Delete “${d.title}”`}
                  title="Delete"
                  data-testid="delete-document"
                  onClick={() => onPending({ kind: "delete", doc: d })}
                >
                  <TrashIcon />
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
