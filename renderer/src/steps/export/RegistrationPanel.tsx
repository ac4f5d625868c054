import { useRef, useState } from 'react';
import type { ExportSummary } from '@/shared/api/contract';
import { useApi } from '@/renderer/src/api/ApiContext';
import { copyText } from '@/renderer/src/api/copy-text';

/** The packaged template and the model-registration request DIALS expects, ready to copy. */
export function RegistrationPanel({ summary }: { summary: ExportSummary }) {
  const api = useApi();
  const [copied, setCopied] = useState<'copied' | 'selected' | null>(null);
  const bodyRef = useRef<HTMLTextAreaElement>(null);
  const reg = summary.registration;
  if (!reg || summary.packageTemplate === null) {
    return (
      <p className="muted">
        After <code>dismcli package</code>, the packaged <code>template.yaml</code> and the registration request appear here.
      </p>
    );
  }
  const text = `${reg.title}\n\n${reg.body}`;
  async function copy() {
    try {
      await copyText(api, text);
      setCopied('copied');
      setTimeout(() => setCopied(null), 2500);
    } catch {
      // No clipboard here (e.g. a browser that refuses): select the text and say how to copy it.
      bodyRef.current?.focus();
      bodyRef.current?.select();
      setCopied('selected');
    }
  }
  return (
    <div className="registration">
      <p className="muted">
        Open an issue in the DIALS service repository with this title and text, and attach <code>{reg.attachment}</code> from the export.
      </p>
      <div className="form-grid">
        <label htmlFor="reg-title">Title</label>
        <input id="reg-title" readOnly value={reg.title} />
      </div>
      <textarea
        ref={bodyRef}
        aria-label="Registration request"
        className="registration-body"
        readOnly
        value={reg.body}
        rows={Math.min(22, reg.body.split('\n').length + 1)}
      />
      <div className="actions">
        <button className="button primary" onClick={() => void copy()}>
          {copied === 'copied' ? 'Copied ✓' : 'Copy title and text'}
        </button>
        {copied === 'selected' && (
          <span className="muted" role="status">
            The clipboard is not available here: the text is selected, press Ctrl+C (⌘C) to copy it, and copy the title above too.
          </span>
        )}
      </div>
      <details open>
        <summary>package/template.yaml</summary>
        <pre className="log-view template-view" aria-label="Packaged template">
          {summary.packageTemplate}
        </pre>
      </details>
    </div>
  );
}
