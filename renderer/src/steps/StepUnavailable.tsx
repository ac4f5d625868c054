import { EmptyState } from '../components/EmptyState';

/** Shown for a wizard step whose UI is not part of this build. */
export function StepUnavailable() {
  return <EmptyState title="Not available in this build" message="This step's screen is not included in this version of DISM Studio." />;
}
