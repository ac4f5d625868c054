import { useState, type ReactNode } from 'react';
import {
  CONDITION_FIELDS,
  FILTER_OPERATIONS,
  METADATA_ENDPOINTS,
  METADATA_SOURCES,
  RESOURCE_TYPES,
  resourceTypeSpec,
} from '@/shared/template/schema';
import { BoolField, DataTypeField, DimsEditor, ListSection, NumberField, SelectField, StringListField, TextField } from './fields';
import { useProblemCount, useValue, type Path } from './field-hooks';
import { titleText } from './value-text';

const TYPE_LABELS = Object.fromEntries(RESOURCE_TYPES.map((t) => [t.type, `${t.label} — ${t.type}`]));

const PATH_HELP: Record<string, string> = {
  ModelUri: 'Model file, relative to the template’s folder',
  CodeUri: 'Folder with the serving code, relative to the template’s folder',
  SavedModelUri: 'Folder with saved_model.pb, variables/ and fingerprint.pb',
  ModelRepositoryUri: 'Optional Triton model repository folder',
  Handler: 'module.Class — CodeUri/module.py must define the class',
};

function Section({
  title,
  paths,
  children,
  defaultOpen = true,
}: {
  title: string;
  paths: Path[];
  children: ReactNode;
  defaultOpen?: boolean;
}) {
  const counts = useProblemCount(paths);
  const [open, setOpen] = useState(defaultOpen);
  return (
    <section className={`tf-section${open ? ' open' : ''}`}>
      <button type="button" className="tf-section-head" aria-expanded={open} onClick={() => setOpen(!open)}>
        <span>
          {open ? '▾' : '▸'} {title}
        </span>
        {counts.errors > 0 && (
          <span className="badge badge-error">
            {counts.errors} error{counts.errors > 1 ? 's' : ''}
          </span>
        )}
        {counts.warnings > 0 && (
          <span className="badge badge-warning">
            {counts.warnings} warning{counts.warnings > 1 ? 's' : ''}
          </span>
        )}
      </button>
      {open && <div className="tf-section-body">{children}</div>}
    </section>
  );
}

function SignatureFields({ path, withMe }: { path: Path; withMe: boolean }) {
  return (
    <>
      <TextField path={[...path, 'Name']} label="Name" required />
      {withMe && (
        <TextField
          path={[...path, 'MonitoringElement']}
          label="Monitoring element"
          required
          mono
          help="Full ME path, e.g. PixelPhase1/Phase1_MechanicalView/PXBarrel/…"
        />
      )}
      <DataTypeField path={[...path, 'DataType']} />
      <DimsEditor path={[...path, 'Dims']} />
    </>
  );
}

export function ResourceForm({ resourceKey }: { resourceKey: string }) {
  const base: Path = ['Resources', resourceKey];
  const P: Path = [...base, 'Properties'];
  const type = useValue([...base, 'Type']);
  const spec = resourceTypeSpec(type);
  const outputs = useValue([...P, 'OutputSignature']);
  const outputNames = Array.isArray(outputs)
    ? outputs.map((o) => (o && typeof o === 'object' ? titleText((o as Record<string, unknown>).Name, '') : '')).filter(Boolean)
    : [];
  const builtin = useValue([...P, 'BuiltinThreshold']);
  // A key the chosen mode forbids stays visible while it is set, so the user can clear it here.
  const anomaly = useValue([...P, 'AnomalyThreshold']);
  const flagging = useValue([...P, 'FlaggingKey']);

  return (
    <div className="resource-form">
      <Section
        title="Resource"
        paths={[
          [...base, 'Type'],
          [...base, 'Workspace'],
        ]}
      >
        <SelectField path={[...base, 'Type']} label="Type" required options={RESOURCE_TYPES.map((t) => t.type)} labels={TYPE_LABELS} />
        <TextField path={[...base, 'Workspace']} label="Workspace" required help="DIALS workspace, e.g. global, tracker, jetmet" />
      </Section>

      <Section title="General" paths={['Description', 'Name', 'Image', 'Tags'].map((k) => [...P, k])}>
        <TextField path={[...P, 'Description']} label="Description" required />
        <TextField path={[...P, 'Name']} label="Name" required mono help="Lowercase letters, digits, '-' and '.', at most 36 characters" />
        <TextField path={[...P, 'Image']} label="Image" mono help="Serving image; leave empty for DISM’s default" />
        <ListSection
          path={[...P, 'Tags']}
          title="Tags"
          itemTitle={(t, i) => titleText(t.Name, `Tag ${i + 1}`)}
          newItem={() => ({ Name: 'tag', Value: 'value' })}
          render={(p) => (
            <>
              <TextField path={[...p, 'Name']} label="Name" required mono />
              <TextField path={[...p, 'Value']} label="Value" required />
            </>
          )}
        />
      </Section>

      <Section title="Threshold" paths={['BuiltinThreshold', 'AnomalyThreshold', 'FlaggingKey', 'MetricKey'].map((k) => [...P, k])}>
        <BoolField
          path={[...P, 'BuiltinThreshold']}
          label="BuiltinThreshold"
          required
          help="true: the model flags (FlaggingKey). false: DIALS compares MetricKey with AnomalyThreshold."
        />
        {(builtin !== true || anomaly !== undefined) && <NumberField path={[...P, 'AnomalyThreshold']} label="AnomalyThreshold" />}
        {(builtin !== false || flagging !== undefined) && (
          <TextField path={[...P, 'FlaggingKey']} label="FlaggingKey" options={outputNames} help="Name of the boolean output" />
        )}
        <TextField path={[...P, 'MetricKey']} label="MetricKey" options={outputNames} help="Name of the score output" />
      </Section>

      <Section title="Inputs" paths={[[...P, 'InputSignature']]}>
        <ListSection
          path={[...P, 'InputSignature']}
          title="InputSignature"
          required
          itemTitle={(s, i) => titleText(s.Name, `input ${i}`)}
          newItem={(n) => ({ Name: `input_${n}`, MonitoringElement: 'Subsystem/Folder/HistogramName', DataType: 'FP32', Dims: [-1, 100] })}
          render={(p) => <SignatureFields path={p} withMe />}
        />
      </Section>

      <Section title="Outputs" paths={[[...P, 'OutputSignature']]}>
        <ListSection
          path={[...P, 'OutputSignature']}
          title="OutputSignature"
          required
          itemTitle={(s, i) => titleText(s.Name, `output ${i}`)}
          newItem={(n) => ({ Name: `output_${n}`, DataType: 'FP32', Dims: [-1] })}
          render={(p) => <SignatureFields path={p} withMe={false} />}
        />
      </Section>

      <Section title="Model files" paths={(spec?.accepted ?? []).map((k) => [...P, k])}>
        {spec ? (
          spec.accepted.map((key) =>
            key === 'MaxBatchSize' ? (
              <NumberField key={key} path={[...P, key]} label={key} integer required help="Largest batch Triton builds (0: no batching)" />
            ) : (
              <TextField key={key} path={[...P, key]} label={key} mono required={spec.required.includes(key)} help={PATH_HELP[key]} />
            ),
          )
        ) : (
          <p className="muted">Choose a supported Type to see its model fields.</p>
        )}
      </Section>

      <Section title="Inference conditions" paths={[[...P, 'InferenceOnConditions']]} defaultOpen={false}>
        <p className="tf-help">When DIALS runs the model. Leave a field empty to not restrict on it.</p>
        {CONDITION_FIELDS.map((f) => {
          const path = [...P, 'InferenceOnConditions', f.key];
          if (f.kind === 'bool') return <BoolField key={f.key} path={path} label={f.key} help={f.help} />;
          if (f.kind === 'int' || f.kind === 'number')
            return <NumberField key={f.key} path={path} label={f.key} integer={f.kind === 'int'} help={f.help} />;
          if (f.kind === 'stringList') return <StringListField key={f.key} path={path} label={f.key} help={f.help} />;
          return <TextField key={f.key} path={path} label={f.key} help={f.help} mono={f.kind === 'regex'} />;
        })}
      </Section>

      <Section title="OMS metadata" paths={[[...P, 'InputMetadata']]} defaultOpen={false}>
        <ListSection
          path={[...P, 'InputMetadata']}
          title="InputMetadata"
          itemTitle={(m, i) => titleText(m.Name, `metadata ${i}`)}
          newItem={(n) => ({
            Name: `oms_${n}`,
            Source: 'OMS',
            Endpoint: 'lumisections',
            Attributes: [{ Name: 'pileup', DataType: 'FP32', Dims: [-1] }],
          })}
          render={(p) => (
            <>
              <TextField path={[...p, 'Name']} label="Name" required />
              <SelectField path={[...p, 'Source']} label="Source" required options={METADATA_SOURCES} />
              <SelectField path={[...p, 'Endpoint']} label="Endpoint" required options={METADATA_ENDPOINTS} />
              <ListSection
                path={[...p, 'Attributes']}
                title="Attributes"
                required
                itemTitle={(a, i) => titleText(a.Name, `attribute ${i}`)}
                newItem={() => ({ Name: 'attribute', DataType: 'FP32', Dims: [-1] })}
                render={(ap) => <SignatureFields path={ap} withMe={false} />}
              />
              <ListSection
                path={[...p, 'Filter']}
                title="Filter"
                itemTitle={(f, i) => titleText(f.Name, `filter ${i}`)}
                newItem={() => ({ Name: 'path_name', Value: 'HLT_ZeroBias_v\\d+', Operation: 'LIST_AND_MATCH' })}
                render={(fp) => (
                  <>
                    <TextField path={[...fp, 'Name']} label="Name" required />
                    <TextField path={[...fp, 'Value']} label="Value" required mono help="A regex with LIST_AND_MATCH" />
                    <SelectField path={[...fp, 'Operation']} label="Operation" options={FILTER_OPERATIONS} help="EQ when not set" />
                  </>
                )}
              />
            </>
          )}
        />
      </Section>

      <Section title="Compute resources" paths={[[...P, 'Resources']]} defaultOpen={false}>
        <p className="tf-help">Kubernetes quantities as strings (e.g. "2", "500m", "4Gi"); leave empty to let DIALS decide.</p>
        {(['Requests', 'Limits'] as const).map((w) => (
          <div key={w} className="tf-subgroup">
            <h4>{w}</h4>
            {(['cpu', 'memory', 'gpu'] as const).map((k) => (
              <TextField key={k} path={[...P, 'Resources', w, k]} label={k} mono empty="null" />
            ))}
          </div>
        ))}
      </Section>
    </div>
  );
}
