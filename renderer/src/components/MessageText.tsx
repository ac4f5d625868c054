import { messageParts } from './message-parts';

/** A message as the user reads it: `backticked` spans as code, never literal backticks. */
export function MessageText({ text, className }: { text: string; className?: string }) {
  return <span className={className}>{messageParts(text).map((p, i) => (p.code ? <code key={i}>{p.text}</code> : p.text))}</span>;
}
