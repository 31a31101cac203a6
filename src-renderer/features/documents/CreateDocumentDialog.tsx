import { useId, useState, type FormEvent } from "react";
import { DocumentTitle, type DocumentCreateBody } from "../../../protocol/index.js";
import { describeError } from "../../api/errors.js";
import { useActions, useRendererStore } from "../../app/context.js";
import { Dialog, FormFooter } from "../../ui/Dialog.js";

interface Props {
  /** Preselected location: `personal`, `app:<id>` or `project:<id>`. */
  readonly initialLocation: string;
  readonly onCreated: (id: string) => void;
  readonly onCancel: () => void;
}

function bodyFor(title: string, location: string): DocumentCreateBody {
  if (location.startsWith("app:")) return { title, scope: "application", application_id: location.slice(4) };
  if (location.startsWith("project:")) return { title, scope: "project", project_id: location.slice(8) };
  return { title, scope: "personal" };
}

export function CreateDocumentDialog({ initialLocation, onCreated, onCancel }: Props) {
  const actions = useActions();
  const applications = useRendererStore("documents", (s) => s.applications);
  const projects = useRendererStore("documents", (s) => s.projects);
  const [title, setTitle] = useState("");
  const [location, setLocation] = useState(initialLocation);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();
  // Viewers cannot create documents in an application.
  const writable = applications.filter((a) => a.role !== "viewer");

  async function submit(e: FormEvent): Promise<void> {
    e.preventDefault();
    const parsed = DocumentTitle.safeParse(title);
    if (!parsed.success) {
      setError(parsed.error.issues[0]?.message ?? "Invalid title");
      return;
    }
    setBusy(true);
    try {
      onCreated(await actions.createDocument(bodyFor(parsed.data, location)));
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }

  return (
    <Dialog title="New document" onClose={onCancel} testId="create-document-dialog">
      <form onSubmit={(e) => void submit(e)}>
        <div className="field">
          <label htmlFor={`${id}-title`}>Title</label>
          <input id={`${id}-title`} autoFocus required maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-where`}>Location</label>
          <select id={`${id}-where`} value={location} onChange={(e) => setLocation(e.target.value)}>
            <option value="personal">Personal</option>
            {writable.map((a) => (
              <optgroup key={a.id} label={a.name}>
                <option value={`app:${a.id}`}>{a.name}</option>
                {(projects[a.id] ?? []).map((p) => (
                  <option key={p.id} value={`project:${p.id}`}>
                    {a.name} / {p.name}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
        </div>
        <FormFooter error={error} busy={busy} submitLabel="Create" onCancel={onCancel} />
      </form>
    </Dialog>
  );
}
