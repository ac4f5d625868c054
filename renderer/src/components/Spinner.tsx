export function Spinner({ label }: { label?: string }) {
  return (
    <span className="spinner-wrap" role="progressbar" aria-label={label ?? 'Loading'}>
      <span className="spinner" />
      {label && <span className="spinner-label">{label}</span>}
    </span>
  );
}
