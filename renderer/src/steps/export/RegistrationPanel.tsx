import { useRef, useState } from 'react';
import type { ExportSummary } from '@/shared/api/contract';

/** The packaged template and the model-registration request DIALS expects, ready to copy. */
export function RegistrationPanel({ summary }: { summary: ExportSummary }) {
  const [copied, setCopied] = useState(false);
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
      await navigator.clipboard.writeText(text);
    } catch {
      // No clipboard permission (e.g. plain http): select the text so Ctrl+C works.
      bodyRef.current?.select();
      document.execCommand('copy');
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 2500);
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
          {copied ? 'Copied ✓' : 'Copy title and text'}
        </button>
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
