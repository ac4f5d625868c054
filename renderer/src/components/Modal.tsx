import { useEffect, useRef, type ReactNode } from 'react';

/** Open dialogs and pop-ups, newest last: Escape closes only the newest (a dialog over a pop-up first). */
const escapeStack: Array<{ current: () => void }> = [];
function onEscapeKey(e: KeyboardEvent): void {
  if (e.key !== 'Escape' || e.defaultPrevented || !escapeStack.length) return;
  e.preventDefault();
  escapeStack[escapeStack.length - 1].current();
}

/** Escape calls `onEscape` while `active`: dialogs and pop-ups close with the key desktop programs use. */
export function useEscapeKey(onEscape: () => void, active = true): void {
  const handler = useRef(onEscape);
  useEffect(() => {
    handler.current = onEscape;
  });
  useEffect(() => {
    if (!active) return;
    const entry = handler;
    escapeStack.push(entry);
    if (escapeStack.length === 1) window.addEventListener('keydown', onEscapeKey);
    return () => {
      escapeStack.splice(escapeStack.indexOf(entry), 1);
      if (!escapeStack.length) window.removeEventListener('keydown', onEscapeKey);
    };
  }, [active]);
}

/**
 * A modal dialog: backdrop, role="dialog" with its label, the focus moved into it on open and back
 * to where it was on close, and Escape = `onClose` (the same as its cancel button).
 */
export function Modal({
  label,
  onClose,
  className,
  children,
}: {
  label: string;
  onClose(): void;
  className?: string;
  children: ReactNode;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEscapeKey(onClose);
  useEffect(() => {
    const before = document.activeElement as HTMLElement | null;
    const first = box.current?.querySelector<HTMLElement>('input, select, textarea, button:not([disabled])');
    (first ?? box.current)?.focus();
    return () => before?.focus?.();
  }, []);
  return (
    <div className="modal-backdrop" role="presentation">
      <div
        ref={box}
        className={`modal${className ? ` ${className}` : ''}`}
        role="dialog"
        aria-modal="true"
        aria-label={label}
        tabIndex={-1}
      >
        {children}
      </div>
    </div>
  );
}
