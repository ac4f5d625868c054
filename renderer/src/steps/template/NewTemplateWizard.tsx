import { useMemo, useState } from 'react';
import { RESOURCE_TYPES } from '@/shared/template/schema';
import { PRESETS, presetText, templateSkeleton, type PresetId } from '@/shared/template/skeletons';
import { validateTemplateText } from '@/shared/template/validate/index';

type Choice = { kind: 'preset'; id: PresetId } | { kind: 'type'; type: string };

/** Choose a type (or the pixel NMF preset) and get a valid, commented template.yaml. */
const defaults = (c: Choice) =>
  c.kind === 'preset' ? { name: 'pixel-barrel-nmf', key: 'PixelNMF' } : { name: 'my-model', key: 'MyModel' };

export function NewTemplateWizard({
  existing,
  onCreate,
  onCancel,
}: {
  existing: string[];
  onCreate(relPath: string, text: string): void;
  onCancel?: () => void;
}) {
  const [choice, setChoice] = useState<Choice>({ kind: 'preset', id: 'pixel-barrel-nmf' });
  const [file, setFile] = useState(existing.includes('template.yaml') ? 'model/template.yaml' : 'template.yaml');
  const [name, setName] = useState('pixel-barrel-nmf');
  const [key, setKey] = useState('PixelNMF');
  const text = useMemo(
    () =>
      choice.kind === 'preset'
        ? presetText(choice.id, { name, resourceKey: key })
        : templateSkeleton({ type: choice.type, name, resourceKey: key }),
    [choice, name, key],
  );
  const problems = useMemo(() => validateTemplateText(text).problems.filter((p) => p.severity === 'error'), [text]);
  // The same pattern the project scan uses, so the new file shows up in the template list.
  const fileProblem = !/(^|[/._-])template\.ya?ml$/i.test(file)
    ? 'Name the file template.yaml (or e.g. pixel.template.yaml) so DISM Studio and dismcli find it'
    : existing.includes(file)
      ? `${file} already exists`
      : null;
  const value = choice.kind === 'preset' ? `preset:${choice.id}` : `type:${choice.type}`;
  return (
    <div className="card new-template" role="group" aria-label="New template">
      <h2>New template</h2>
      <div className="new-template-grid">
        <label>
          Start from
          <select
            value={value}
            onChange={(e) => {
              const [kind, id] = e.target.value.split(/:(.*)/s);
              const next: Choice = kind === 'preset' ? { kind: 'preset', id: id as PresetId } : { kind: 'type', type: id };
              // Follow the new choice's defaults unless the user already typed their own.
              if (name === defaults(choice).name) setName(defaults(next).name);
              if (key === defaults(choice).key) setKey(defaults(next).key);
              setChoice(next);
            }}
          >
            <optgroup label="Presets">
              {PRESETS.map((p) => (
                <option key={p.id} value={`preset:${p.id}`}>
                  {p.label}
                </option>
              ))}
            </optgroup>
            <optgroup label="Empty skeleton for a type">
              {RESOURCE_TYPES.map((t) => (
                <option key={t.type} value={`type:${t.type}`}>
                  {t.label}
                </option>
              ))}
            </optgroup>
          </select>
        </label>
        <label>
          File (in the project) <input value={file} onChange={(e) => setFile(e.target.value)} aria-invalid={!!fileProblem} />
        </label>
        <label>
          Name <input value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          ResourceKey <input value={key} onChange={(e) => setKey(e.target.value)} />
        </label>
      </div>
      {fileProblem && <p className="field-error">{fileProblem}</p>}
      {problems.map((p, i) => (
        <p key={i} className="field-error">
          {p.path}: {p.message}
        </p>
      ))}
      <details open>
        <summary>Preview (a valid, commented template.yaml)</summary>
        <pre className="skeleton-preview">{text}</pre>
      </details>
      <div className="actions">
        <button
          type="button"
          className="button primary"
          disabled={!!fileProblem || problems.length > 0}
          onClick={() => onCreate(file, text)}
        >
          Create {file}
        </button>
        {onCancel && (
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </div>
  );
}
