import { markdown } from "@codemirror/lang-markdown";
import { syntaxHighlighting } from "@codemirror/language";
import { Compartment, EditorState, type Extension } from "@codemirror/state";
import { keymap } from "@codemirror/view";
import { classHighlighter } from "@lezer/highlight";
import { EditorView, minimalSetup } from "codemirror";
import { useEffect, useRef } from "react";
import { useRenderer } from "../../app/context.js";

interface Props {
  /** Only while this window holds the lock. */
  readonly editable: boolean;
  /** The accessible name of the text area. */
  readonly label: string;
  readonly onChange: (text: string) => void;
  readonly onSave: () => void;
}

const editability = (editable: boolean): Extension => [EditorView.editable.of(editable), EditorState.readOnly.of(!editable)];

/**
 * CodeMirror 6 for Markdown, bound to the editor store: user edits flow out through
 * `onChange`; text replaced from outside (a load, a re-applied draft) flows in when the
 * store's `revision` changes. Tab is left to focus navigation (no indentWithTab), so the
 * editor never traps keyboard users.
 */
export default function MarkdownEditor({ editable, label, onChange, onSave }: Props) {
  const editorStore = useRenderer().stores.editor;
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const editableSlot = useRef(new Compartment());
  const labelSlot = useRef(new Compartment());
  // Latest callbacks without recreating the view.
  const callbacks = useRef({ onChange, onSave });
  callbacks.current = { onChange, onSave };
  /** True while we write the store's text into the view, so it is not echoed back. */
  const applying = useRef(false);

  useEffect(() => {
    if (host.current === null) return;
    const v = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: editorStore.getState().text,
        extensions: [
          minimalSetup,
          markdown(),
          syntaxHighlighting(classHighlighter),
          EditorView.lineWrapping,
          keymap.of([
            {
              key: "Mod-s",
              preventDefault: true,
              run: () => {
                callbacks.current.onSave();
                return true;
              },
            },
          ]),
          editableSlot.current.of(editability(false)),
          labelSlot.current.of(EditorView.contentAttributes.of({ "aria-label": label })),
          EditorView.contentAttributes.of({ "data-testid": "editor-content", "aria-multiline": "true" }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged && !applying.current) callbacks.current.onChange(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = v;
    // Text replaced from outside the editor: push it into the view.
    const unsubscribe = editorStore.subscribe((s, prev) => {
      if (s.revision === prev.revision) return;
      const current = v.state.doc.toString();
      if (current === s.text) return;
      applying.current = true;
      try {
        v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: s.text } });
      } finally {
        applying.current = false;
      }
    });
    return () => {
      unsubscribe();
      v.destroy();
      view.current = null;
    };
    // Created once per mount (label and editable are reconfigured by the effects below).
  }, [editorStore]);

  useEffect(() => {
    view.current?.dispatch({ effects: editableSlot.current.reconfigure(editability(editable)) });
  }, [editable]);

  useEffect(() => {
    view.current?.dispatch({ effects: labelSlot.current.reconfigure(EditorView.contentAttributes.of({ "aria-label": label })) });
  }, [label]);

  return <div ref={host} className="cm-host" data-editable={editable} />;
}
