import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from "react";

interface DialogProps {
  readonly title: string;
  readonly onClose: () => void;
  readonly children: ReactNode;
  readonly testId?: string;
}

/** The end of every dialog form: the error line (always there, so nothing jumps), Cancel and submit. */
export function FormFooter({
  error,
  busy,
  submitLabel,
  onCancel,
}: {
  readonly error: string | null | undefined;
  readonly busy: boolean;
  readonly submitLabel: string;
  readonly onCancel: () => void;
}) {
  return (
    <>
      <p className="form-error" role="alert">
        {error ?? ""}
      </p>
      <div className="dialog-actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy}>
          {submitLabel}
        </button>
      </div>
    </>
  );
}

/**
 * A modal on the native <dialog>: the browser traps focus, closes on Escape and gives focus
 * back to the opener, with no library.
 */
export function Dialog({ title, onClose, children, testId }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={`${id}-title`}
      data-testid={testId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      <h2 id={`${id}-title`} className="dialog-title">
        {title}
      </h2>
      {children}
    </dialog>
  );
}

interface ConfirmProps {
  readonly title: string;
  readonly message: ReactNode;
  readonly confirmLabel: string;
  readonly danger?: boolean;
  readonly onConfirm: () => void | Promise<void>;
  readonly onCancel: () => void;
  readonly testId?: string;
}

/** Asks before a consequential action. Cancel has the focus: Enter never confirms by accident. */
export function ConfirmDialog({ title, message, confirmLabel, danger, onConfirm, onCancel, testId }: ConfirmProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <Dialog title={title} onClose={onCancel} testId={testId}>
      <div className="dialog-body">{message}</div>
      <p className="form-error" role="alert">
        {error ?? ""}
      </p>
      <div className="dialog-actions">
        <button type="button" autoFocus onClick={onCancel}>
          Cancel
        </button>
        <button
          type="button"
          className={danger ? "danger" : "primary"}
          disabled={busy}
          onClick={() => {
            setBusy(true);
            Promise.resolve(onConfirm()).then(
              () => setBusy(false),
              (e: unknown) => {
                setBusy(false);
                setError(e instanceof Error ? e.message : String(e));
              },
            );
          }}
        >
          {confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}

interface PromptProps {
  readonly title: string;
  readonly label: string;
  readonly initial: string;
  readonly submitLabel: string;
  readonly onSubmit: (value: string) => Promise<void>;
  readonly onCancel: () => void;
  readonly testId?: string;
  readonly maxLength?: number;
}

/** One text field in a dialog (rename, new project). */
export function PromptDialog({ title, label, initial, submitLabel, onSubmit, onCancel, testId, maxLength }: PromptProps) {
  const [value, setValue] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();
  async function submit(e: FormEvent): Promise<void> {
    e.preventDefault();
    if (value.trim() === "") {
      setError(`${label} must not be empty.`);
      return;
    }
    setBusy(true);
    try {
      await onSubmit(value.trim());
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  }
  return (
    <Dialog title={title} onClose={onCancel} testId={testId}>
      <form onSubmit={(e) => void submit(e)}>
        <div className="field">
          <label htmlFor={`${id}-input`}>{label}</label>
          <input
            id={`${id}-input`}
            autoFocus
            required
            maxLength={maxLength}
            value={value}
            onChange={(e) => setValue(e.target.value)}
            onFocus={(e) => e.target.select()}
          />
        </div>
        <FormFooter error={error} busy={busy} submitLabel={submitLabel} onCancel={onCancel} />
      </form>
    </Dialog>
  );
}
