import { useId, useState, type FormEvent } from "react";
import { DisplayName, Password, Username } from "../../../protocol/index.js";
import { describeError } from "../../api/errors.js";
import { useActions, useRendererStore } from "../../app/context.js";

/** First run: the server has no account yet. Creates the first owner and signs in. */
export function SetupScreen() {
  const actions = useActions();
  const serverUrl = useRendererStore("session", (s) => s.serverUrl);
  const [form, setForm] = useState({ display_name: "", username: "", password: "", confirm: "", application_name: "My team" });
  const [errors, setErrors] = useState<Partial<Record<keyof typeof form, string>>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();

  const field = (key: keyof typeof form, label: string, props: Record<string, string | boolean> = {}) => (
    <div className="field">
      <label htmlFor={`${id}-${key}`}>{label}</label>
      <input
        id={`${id}-${key}`}
        name={key}
        required
        value={form[key]}
        aria-invalid={errors[key] ? true : undefined}
        aria-describedby={errors[key] ? `${id}-${key}-err` : undefined}
        onChange={(e) => setForm({ ...form, [key]: e.target.value })}
        {...props}
      />
      {errors[key] && (
        <span id={`${id}-${key}-err`} className="field-error">
          {errors[key]}
        </span>
      )}
    </div>
  );

  async function submit(e: FormEvent): Promise<void> {
    e.preventDefault();
    const found: typeof errors = {};
    const check = (key: keyof typeof form, r: { success: boolean; error?: { issues: { message: string }[] } }): void => {
      if (!r.success) found[key] = r.error?.issues[0]?.message ?? "invalid";
    };
    check("display_name", DisplayName.safeParse(form.display_name));
    check("username", Username.safeParse(form.username.trim()));
    check("password", Password.safeParse(form.password));
    if (form.password !== form.confirm) found.confirm = "The passwords do not match.";
    if (form.application_name.trim() === "") found.application_name = "Name your team.";
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    setError(null);
    try {
      await actions.setup({
        display_name: form.display_name.trim(),
        username: form.username.trim(),
        password: form.password,
        application_name: form.application_name.trim(),
      });
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  }

  return (
    <main className="auth-page">
      <form className="auth-card" onSubmit={(e) => void submit(e)} aria-labelledby={`${id}-title`} noValidate data-testid="setup-form">
        <h1 className="brand" id={`${id}-title`}>
          Welcome to Lockstep
        </h1>
        <p className="form-note">
          This server ({serverUrl}) has no account yet. Create the first one: it will own your team&apos;s documents.
        </p>
        {field("display_name", "Your name", { autoComplete: "name" })}
        {field("username", "Username", { autoComplete: "username", autoCapitalize: "none", spellCheck: false })}
        {field("password", "Password", { type: "password", autoComplete: "new-password" })}
        {field("confirm", "Repeat password", { type: "password", autoComplete: "new-password" })}
        {field("application_name", "Team name")}
        <p className="form-error" role="alert">
          {error ?? ""}
        </p>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Creating…" : "Create account"}
        </button>
      </form>
    </main>
  );
}
