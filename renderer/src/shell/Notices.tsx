import { MessageText } from '../components/MessageText';
import { useAppStore } from '../store/app-store';

/**
 * Notices sit in their own strip between the step and the status bar (the step area shrinks), so a
 * notice never covers a control. Info and success notices fade (not while the pointer or focus is
 * on them); warnings and errors stay until dismissed.
 */
export function Notices() {
  const notices = useAppStore((s) => s.notices);
  const dismiss = useAppStore((s) => s.dismiss);
  const hold = useAppStore((s) => s.holdNotice);
  return (
    <div className="notices" aria-live="polite" data-testid="notices">
      {notices.map((n) => (
        <div
          key={n.id}
          className={`notice notice-${n.kind}`}
          role={n.kind === 'error' || n.kind === 'warning' ? 'alert' : 'status'}
          onMouseEnter={() => hold(n.id, true)}
          onMouseLeave={() => hold(n.id, false)}
          onFocus={() => hold(n.id, true)}
          onBlur={() => hold(n.id, false)}
        >
          <div className="notice-body">
            <strong>{n.title}</strong>
            {n.message && <MessageText text={n.message} />}
          </div>
          <button className="icon-button" aria-label="Dismiss" onClick={() => dismiss(n.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
