import { useEffect, useState, type KeyboardEvent } from 'react';
import { isMap, isScalar } from 'yaml';
import { duplicatePair, insertRawPair, setValue } from '@/shared/template/edit';
import { parseTemplate } from '@/shared/template/document';
import { RESOURCE_KEY_PATTERN, RESOURCE_TYPES, TEMPLATE_FORMAT_VERSION } from '@/shared/template/schema';
import { resourceSkeleton } from '@/shared/template/skeletons';
import { redo, undo } from '../editor-bridge';
import { useTemplateStore } from '../template-store';
import { ProblemLines, TextField } from './fields';
import { edits, useProblemCount, useProblems, useValue } from './field-hooks';
import { ResourceForm } from './ResourceForm';
import { valueText } from './value-text';

const KEY_RE = new RegExp(RESOURCE_KEY_PATTERN);

function useResourceKeys(): string[] {
  const parsed = useTemplateStore((s) => s.parsed);
  const root = parsed.doc.contents;
  const res = isMap(root) ? root.items.find((p) => isScalar(p.key) && p.key.value === 'Resources')?.value : undefined;
  return isMap(res) ? res.items.map((p) => String(isScalar(p.key) ? p.key.value : p.key)) : [];
}

function uniqueKey(base: string, taken: string[]): string {
  let i = 2;
  while (taken.includes(`${base}${i}`)) i++;
  return `${base}${i}`;
}

/** Ctrl/Cmd+Z in a form field undoes through the shared history instead of the input's own. */
export function onFormKeyDown(e: KeyboardEvent): void {
  const mod = e.ctrlKey || e.metaKey;
  if (!mod) return;
  const k = e.key.toLowerCase();
  if (k === 'z' && !e.shiftKey) {
    e.preventDefault();
    undo();
  } else if ((k === 'z' && e.shiftKey) || k === 'y') {
    e.preventDefault();
    redo();
  }
}

function VersionField() {
  const value = useValue(['TemplateFormatVersion']);
  const problems = useProblems(['TemplateFormatVersion']);
  return (
    <div className="tf-field" data-path="TemplateFormatVersion">
      <span className="tf-label">TemplateFormatVersion</span>
      <div className="tf-control">
        <code>{value instanceof Date ? `${value.toISOString().slice(0, 10)} (unquoted: read as a date)` : valueText(value) || '—'}</code>
        {value !== TEMPLATE_FORMAT_VERSION && problems.length === 0 && <span className="muted"> expected "{TEMPLATE_FORMAT_VERSION}"</span>}
        <ProblemLines problems={problems} />
      </div>
    </div>
  );
}

function ResourceTab({ k, active, onSelect }: { k: string; active: boolean; onSelect(): void }) {
  const counts = useProblemCount([['Resources', k]]);
  return (
    <button type="button" role="tab" aria-selected={active} className={`resource-tab${active ? ' active' : ''}`} onClick={onSelect}>
      {k}
      {counts.errors > 0 && <span className="badge badge-error">{counts.errors}</span>}
    </button>
  );
}

export function TemplateForm() {
  const keys = useResourceKeys();
  const [selected, setSelected] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [renaming, setRenaming] = useState<string | null>(null);
  const active = selected && keys.includes(selected) ? selected : (keys[0] ?? null);
  const resourcesProblems = useProblems(['Resources']);
  const keyProblems = useProblems(active ? ['Resources', active] : ['Resources']);

  useEffect(() => {
    if (selected && !keys.includes(selected) && keys.length) setSelected(keys[0]);
  }, [keys, selected]);

  const duplicate = (k: string) => {
    const nk = uniqueKey(k, keys);
    edits.apply((p) => {
      const dup = duplicatePair(p, ['Resources', k], nk);
      const name = parseTemplate(dup.text).doc.getIn(['Resources', nk, 'Properties', 'Name']);
      return typeof name === 'string' ? setValue(dup.text, ['Resources', nk, 'Properties', 'Name'], `${name}-copy`.slice(0, 36)) : dup;
    });
    setSelected(nk);
  };

  const remove = (k: string) => {
    if (!window.confirm(`Remove resource ${k} from the template? (Undo brings it back.)`)) return;
    edits.remove(['Resources', k]);
  };

  return (
    <form className="template-form" onSubmit={(e) => e.preventDefault()} onKeyDown={onFormKeyDown} aria-label="Template form">
      <VersionField />
      <TextField path={['Description']} label="Description" required help="What this template deploys" />
      <div className="resources-head">
        <h3>Resources</h3>
        <div role="tablist" aria-label="Resources" className="resource-tabs">
          {keys.map((k) => (
            <ResourceTab key={k} k={k} active={k === active} onSelect={() => setSelected(k)} />
          ))}
        </div>
        <button type="button" className="button small" onClick={() => setAdding(true)}>
          + Resource
        </button>
      </div>
      <ProblemLines problems={resourcesProblems} />
      {adding && (
        <AddResource
          taken={keys}
          onDone={(k) => {
            setAdding(false);
            if (k) setSelected(k);
          }}
        />
      )}
      {active && (
        <div className="resource-panel">
          <div className="resource-actions">
            {renaming === active ? (
              <RenameKey
                current={active}
                taken={keys}
                onDone={(k) => {
                  setRenaming(null);
                  if (k) setSelected(k);
                }}
              />
            ) : (
              <>
                <span className="muted">ResourceKey</span> <code data-testid="resource-key">{active}</code>
                <button type="button" className="link-button" onClick={() => setRenaming(active)}>
                  rename
                </button>
              </>
            )}
            <span className="spacer" />
            <button type="button" className="button small" onClick={() => duplicate(active)}>
              Duplicate
            </button>
            <button type="button" className="button small danger" onClick={() => remove(active)}>
              Remove
            </button>
          </div>
          <ProblemLines problems={keyProblems.filter((p) => p.rule === 'resource-key' || p.rule === 'type')} />
          <ResourceForm key={active} resourceKey={active} />
        </div>
      )}
      {!keys.length && <p className="muted">No resources yet. Add one to describe your model server.</p>}
    </form>
  );
}

function RenameKey({ current, taken, onDone }: { current: string; taken: string[]; onDone(k: string | null): void }) {
  const [value, setValue_] = useState(current);
  const bad = !KEY_RE.test(value)
    ? 'Use letters, digits, - _ . (it becomes a folder name)'
    : value !== current && taken.includes(value)
      ? 'That key already exists'
      : null;
  return (
    <span className="rename-key">
      <input aria-label="New resource key" value={value} autoFocus onChange={(e) => setValue_(e.target.value)} aria-invalid={!!bad} />
      <button
        type="button"
        className="button small"
        disabled={!!bad}
        onClick={() => {
          if (value !== current) edits.rename(['Resources', current], value);
          onDone(value);
        }}
      >
        OK
      </button>
      <button type="button" className="button small" onClick={() => onDone(null)}>
        Cancel
      </button>
      {bad && <span className="field-error">{bad}</span>}
    </span>
  );
}

function AddResource({ taken, onDone }: { taken: string[]; onDone(k: string | null): void }) {
  const [type, setType] = useState(RESOURCE_TYPES[0].type);
  const [key, setKey] = useState(uniqueKey('Model', taken));
  const bad = !KEY_RE.test(key)
    ? 'Use letters, digits, - _ . (it becomes a folder name)'
    : taken.includes(key)
      ? 'That key already exists'
      : null;
  const add = () => {
    const raw = resourceSkeleton({
      type,
      resourceKey: key,
      name:
        key
          .toLowerCase()
          .replace(/[^a-z0-9-]+/g, '-')
          .replace(/^-+|-+$/g, '') || 'model',
    });
    edits.apply((p) => insertRawPair(p, ['Resources'], key, raw));
    onDone(key);
  };
  return (
    <div className="card add-resource" role="group" aria-label="Add resource">
      <label>
        Type{' '}
        <select value={type} onChange={(e) => setType(e.target.value)}>
          {RESOURCE_TYPES.map((t) => (
            <option key={t.type} value={t.type}>
              {t.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        ResourceKey <input value={key} onChange={(e) => setKey(e.target.value)} aria-invalid={!!bad} />
      </label>
      <button type="button" className="button primary small" disabled={!!bad} onClick={add}>
        Add
      </button>
      <button type="button" className="button small" onClick={() => onDone(null)}>
        Cancel
      </button>
      {bad && <div className="field-error">{bad}</div>}
    </div>
  );
}
