import { useId, useState, type ReactNode } from 'react';
import { DATA_TYPES } from '@/shared/template/schema';
import { modernDataType } from '@/shared/template/legacy';
import type { TemplateProblem } from '@/shared/template/problems';
import { applyFix } from '../fixes';
import { edits, fieldId, useProblems, useValue, type Path } from './field-hooks';
import { structuredPlaceholder, valueText } from './value-text';
import { MessageText } from '@/renderer/src/components/MessageText';

interface BaseProps {
  path: Path;
  label: string;
  help?: string;
  required?: boolean;
}

export function ProblemLines({ problems, id }: { problems: TemplateProblem[]; id?: string }) {
  if (!problems.length) return null;
  return (
    <div className="field-problems" id={id}>
      {problems.map((p, i) => (
        <div
          key={i}
          className={p.severity === 'error' ? 'field-error' : 'field-warning'}
          role={p.severity === 'error' ? 'alert' : undefined}
        >
          <MessageText className="problem-message" text={p.message} />
          {p.fix && (
            <button type="button" className="link-button fix-button" onClick={() => applyFix(p.fix!)}>
              {p.fix.label}
            </button>
          )}
        </div>
      ))}
    </div>
  );
}

function FieldShell({
  path,
  label,
  help,
  required,
  children,
  problems,
  inputId,
}: BaseProps & { children: ReactNode; problems: TemplateProblem[]; inputId: string }) {
  return (
    <div className="tf-field" data-path={path.map(String).join('.')}>
      <label htmlFor={inputId} className="tf-label">
        {label}
        {required && (
          <span className="tf-required" title="required">
            {' '}
            *
          </span>
        )}
      </label>
      <div className="tf-control">
        {children}
        {help && <div className="tf-help">{help}</div>}
        <ProblemLines problems={problems} id={`${inputId}-problems`} />
      </div>
    </div>
  );
}

const display = valueText;

/** Text field; empty means: delete the key (optional), `null` (nullable) or "" (required). */
export function TextField(props: BaseProps & { placeholder?: string; mono?: boolean; options?: string[]; empty?: 'delete' | 'null' }) {
  const { path, required, placeholder, mono, options, empty } = props;
  const value = useValue(path);
  const problems = useProblems(path);
  const id = fieldId(path);
  const listId = useId();
  const hasError = problems.some((p) => p.severity === 'error');
  return (
    <FieldShell {...props} problems={problems} inputId={id}>
      <input
        id={id}
        className={mono ? 'mono' : undefined}
        value={display(value)}
        placeholder={structuredPlaceholder(value) ?? placeholder}
        disabled={structuredPlaceholder(value) !== undefined}
        spellCheck={false}
        list={options ? listId : undefined}
        aria-invalid={hasError}
        aria-describedby={problems.length ? `${id}-problems` : undefined}
        onChange={(e) => {
          const t = e.target.value;
          if (t === '' && !required) edits.set(path, empty === 'null' ? null : undefined);
          else edits.set(path, t, true);
        }}
      />
      {options && (
        <datalist id={listId}>
          {options.map((o) => (
            <option key={o} value={o} />
          ))}
        </datalist>
      )}
    </FieldShell>
  );
}

/** Number field that keeps what is typed ("3.", "-") while focused, writing numbers when they parse. */
export function NumberField(props: BaseProps & { integer?: boolean }) {
  const { path, required, integer } = props;
  const value = useValue(path);
  const problems = useProblems(path);
  const id = fieldId(path);
  const [draft, setDraft] = useState<string | null>(null);
  const shown = draft !== null && (draft === display(value) || Number(draft) === value) ? draft : display(value);
  return (
    <FieldShell {...props} problems={problems} inputId={id}>
      <input
        id={id}
        inputMode={integer ? 'numeric' : 'decimal'}
        value={shown}
        placeholder={structuredPlaceholder(value)}
        disabled={structuredPlaceholder(value) !== undefined}
        aria-invalid={problems.some((p) => p.severity === 'error')}
        onBlur={() => setDraft(null)}
        onChange={(e) => {
          const t = e.target.value;
          setDraft(t);
          if (t.trim() === '') edits.set(path, required ? null : undefined);
          else if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t.trim())) edits.set(path, Number(t), true);
          else edits.set(path, t, true);
        }}
      />
    </FieldShell>
  );
}

export function BoolField(props: BaseProps) {
  const { path, required } = props;
  const value = useValue(path);
  const problems = useProblems(path);
  const id = fieldId(path);
  const state = value === true ? 'true' : value === false ? 'false' : value === undefined || value === null ? '' : 'other';
  return (
    <FieldShell {...props} problems={problems} inputId={id}>
      <select
        id={id}
        value={state}
        aria-invalid={problems.some((p) => p.severity === 'error')}
        onChange={(e) => {
          const v = e.target.value;
          edits.set(path, v === '' ? (required ? null : undefined) : v === 'true');
        }}
      >
        <option value="">{required ? '— choose —' : 'not set'}</option>
        <option value="true">true</option>
        <option value="false">false</option>
        {state === 'other' && <option value="other">{display(value)} (not a boolean)</option>}
      </select>
    </FieldShell>
  );
}

export function SelectField(props: BaseProps & { options: readonly string[]; labels?: Record<string, string> }) {
  const { path, options, labels, required } = props;
  const value = useValue(path);
  const problems = useProblems(path);
  const id = fieldId(path);
  const current = display(value);
  return (
    <FieldShell {...props} problems={problems} inputId={id}>
      <select
        id={id}
        value={current}
        aria-invalid={problems.some((p) => p.severity === 'error')}
        onChange={(e) => edits.set(path, e.target.value === '' ? (required ? null : undefined) : e.target.value)}
      >
        {(!required || current === '') && <option value="">{required ? '— choose —' : 'not set'}</option>}
        {current !== '' && !options.includes(current) && <option value={current}>{current} (not valid)</option>}
        {options.map((o) => (
          <option key={o} value={o}>
            {labels?.[o] ?? o}
          </option>
        ))}
      </select>
    </FieldShell>
  );
}

export function DataTypeField({ path }: { path: Path }) {
  const value = useValue(path);
  const problems = useProblems(path);
  const id = fieldId(path);
  const current = display(value);
  const legacy = modernDataType(current);
  return (
    <FieldShell path={path} label="DataType" required problems={problems} inputId={id}>
      <select
        id={id}
        value={current}
        aria-invalid={problems.some((p) => p.severity === 'error')}
        onChange={(e) => edits.set(path, e.target.value)}
      >
        {current === '' && <option value="">— choose —</option>}
        {current !== '' && !(DATA_TYPES as readonly string[]).includes(current) && (
          <option value={current}>{legacy ? `${current} (legacy spelling of ${legacy})` : `${current} (not valid)`}</option>
        )}
        {DATA_TYPES.map((t) => (
          <option key={t} value={t}>
            {t}
          </option>
        ))}
      </select>
    </FieldShell>
  );
}

/** Dims: the batch dimension (-1) then one size per histogram axis. */
export function DimsEditor({ path }: { path: Path }) {
  const value = useValue(path);
  const problems = useProblems(path);
  const dims = Array.isArray(value) ? value : [];
  const id = fieldId(path);
  return (
    <FieldShell
      path={path}
      label="Dims"
      required
      help="−1 = batch (one row per lumisection), then the histogram's bins"
      problems={problems}
      inputId={id}
    >
      <div className="dims-editor" role="group" aria-label="Dims">
        {dims.map((d, i) => (
          <DimInput key={i} path={[...path, i]} value={d} first={i === 0} id={i === 0 ? id : undefined} />
        ))}
        <button
          type="button"
          className="button small"
          onClick={() => edits.insert(path, dims.length, dims.length === 0 ? -1 : 1)}
          title="Add a dimension"
        >
          + dim
        </button>
        {dims.length > 1 && (
          <button
            type="button"
            className="button small"
            onClick={() => edits.remove([...path, dims.length - 1])}
            title="Remove the last dimension"
          >
            − dim
          </button>
        )}
      </div>
    </FieldShell>
  );
}

function DimInput({ path, value, first, id }: { path: Path; value: unknown; first: boolean; id?: string }) {
  const problems = useProblems(path);
  const [draft, setDraft] = useState<string | null>(null);
  const shown = draft !== null && (draft === display(value) || Number(draft) === value) ? draft : display(value);
  return (
    <span className="dim">
      {first && <span className="dim-label">{value === -1 ? 'batch' : 'first'}</span>}
      <input
        id={id}
        className="dim-input mono"
        value={shown}
        aria-label={first ? 'batch dimension' : `dimension ${String(path[path.length - 1])}`}
        aria-invalid={problems.some((p) => p.severity === 'error')}
        title={problems.map((p) => p.message).join('\n') || undefined}
        onBlur={() => setDraft(null)}
        onChange={(e) => {
          const t = e.target.value;
          setDraft(t);
          edits.set(path, /^[+-]?\d+$/.test(t.trim()) ? Number(t) : t, true);
        }}
      />
    </span>
  );
}

export function StringListField(props: BaseProps & { placeholder?: string }) {
  const { path, placeholder } = props;
  const value = useValue(path);
  const problems = useProblems(path);
  const items = Array.isArray(value) ? value : [];
  const id = fieldId(path);
  return (
    <FieldShell {...props} problems={problems} inputId={id}>
      <div className="string-list">
        {items.map((item, i) => (
          <div key={i} className="string-list-item">
            <input
              id={i === 0 ? id : undefined}
              aria-label={`${props.label} ${i + 1}`}
              value={display(item)}
              placeholder={placeholder}
              onChange={(e) => edits.set([...path, i], e.target.value, true)}
            />
            <button
              type="button"
              className="icon-button"
              aria-label={`Remove ${display(item)}`}
              onClick={() => (items.length === 1 ? edits.remove(path) : edits.remove([...path, i]))}
            >
              ✕
            </button>
          </div>
        ))}
        <button type="button" className="button small" onClick={() => edits.insert(path, items.length, '')}>
          + Add
        </button>
      </div>
    </FieldShell>
  );
}

/** A list of mappings with add / remove / reorder. */
export function ListSection({
  path,
  title,
  itemTitle,
  newItem,
  render,
  help,
  required,
}: {
  path: Path;
  title: string;
  itemTitle(item: Record<string, unknown>, index: number): string;
  newItem(count: number): Record<string, unknown>;
  render(itemPath: Path, index: number): ReactNode;
  help?: string;
  required?: boolean;
}) {
  const value = useValue(path);
  const problems = useProblems(path);
  const items = Array.isArray(value) ? (value as Array<Record<string, unknown>>) : [];
  return (
    <section className="tf-list" data-path={path.map(String).join('.')} aria-label={title}>
      <div className="tf-list-head">
        <h4>
          {title} <span className="muted">({items.length})</span>
          {required && <span className="tf-required"> *</span>}
        </h4>
        <button type="button" className="button small" onClick={() => edits.insert(path, items.length, newItem(items.length))}>
          + Add
        </button>
      </div>
      {help && <div className="tf-help">{help}</div>}
      <ProblemLines problems={problems} />
      {items.map((item, i) => (
        <div className="tf-list-item" key={i}>
          <div className="tf-list-item-head">
            <strong>{itemTitle(item && typeof item === 'object' ? item : {}, i)}</strong>
            <span className="tf-list-item-actions">
              <button
                type="button"
                className="icon-button"
                aria-label="Move up"
                disabled={i === 0}
                onClick={() => edits.move(path, i, i - 1)}
              >
                ↑
              </button>
              <button
                type="button"
                className="icon-button"
                aria-label="Move down"
                disabled={i === items.length - 1}
                onClick={() => edits.move(path, i, i + 1)}
              >
                ↓
              </button>
              <button type="button" className="icon-button" aria-label="Remove" onClick={() => edits.remove([...path, i])}>
                ✕
              </button>
            </span>
          </div>
          {render([...path, i], i)}
        </div>
      ))}
    </section>
  );
}
