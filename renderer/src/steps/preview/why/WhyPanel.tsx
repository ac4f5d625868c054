import type { TimelineLs } from '../timeline/timeline-model';
import { reasonCategory } from '../timeline/timeline-model';
import { REASON_COLOUR } from '../timeline/Timeline';
import { verdictOf, type WhyExplanation } from '@/shared/pipeline/why';

interface Props {
  item: TimelineLs;
  why: WhyExplanation | null;
  minLayers: number;
  /** Set when the maps shown include a what-if injection. */
  whatIf?: string | null;
}

const VERDICT_CLASS = {
  flagged: 'verdict-flagged',
  cleared: 'verdict-cleared',
  filtered: 'verdict-filtered',
  clean: 'verdict-clean',
} as const;

/** Why the selected LS is or is not flagged: filters, per-layer clusters, the pattern that fired and where. */
export function WhyPanel({ item, why, minLayers, whatIf }: Props) {
  const verdict = verdictOf(item);
  const v = { text: verdict.text, className: VERDICT_CLASS[verdict.kind] };
  return (
    <section className="why-panel" aria-label="Why" data-testid="why-panel">
      <h2>
        Why · Run {item.run}, LS {item.ls}
      </h2>
      {whatIf && <p className="whatif-banner">What-if: {whatIf}</p>}
      <p className={`verdict ${v.className}`} data-testid="why-verdict">
        {v.text}
      </p>

      <h3>Filters</h3>
      {item.passedFilter ? (
        <p className="muted">All filters passed.</p>
      ) : (
        <ul className="why-list" data-testid="why-filters">
          {item.reasons.map((r, i) => (
            <li key={i}>
              <span className="reason-dot" style={{ background: REASON_COLOUR[reasonCategory(r.code)] }} /> {r.message}
            </li>
          ))}
        </ul>
      )}

      {!why ? (
        <p className="muted">Loading the stage maps…</p>
      ) : (
        <>
          <h3>Layers with loss clusters</h3>
          <ul className="why-list" data-testid="why-layers">
            {why.layers.map((l) => (
              <li key={l.name}>
                <strong>{l.name}</strong>:{' '}
                {l.binaryBins === 0 ? (
                  <span className="muted">no clusters</span>
                ) : (
                  <>
                    {l.binaryBins} bins in {l.clusters.length} cluster{l.clusters.length === 1 ? '' : 's'}
                    {l.clusters.slice(0, 3).map((c, i) => (
                      <div key={i} className="why-where">
                        {c.where} <span className="muted">({c.bins} bins)</span>
                      </div>
                    ))}
                    {l.clusters.length > 3 && <div className="muted why-where">…and {l.clusters.length - 3} more</div>}
                  </>
                )}
              </li>
            ))}
          </ul>

          <h3>Combined</h3>
          <p>
            {why.agreeingBins} bins with clusters in ≥ {minLayers} layers; {why.finalBins} left in the final map after the loss mask.
          </p>

          <h3>Flagging patterns</h3>
          <ul className="why-list" data-testid="why-patterns">
            {why.patterns.map((p, i) => (
              <li key={i} className={p.fired ? 'pattern-fired' : 'pattern-quiet'}>
                <strong>{p.label}</strong>: {p.fired ? 'fired' : 'no match'}
                {p.regions.slice(0, 3).map((r, k) => (
                  <div key={k} className="why-where">
                    at {r.where}
                  </div>
                ))}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
