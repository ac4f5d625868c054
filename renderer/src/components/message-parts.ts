/**
 * Messages from the back end and the template rules mark commands, file names and keys with
 * backticks, as Markdown does (`dismcli package`, `docker tag …`): the CLI prints them as they are,
 * the UI shows them as code. Only a matching pair on one line counts; a lone backtick stays text.
 */
export type MessagePart = { code: boolean; text: string };

export function messageParts(text: string): MessagePart[] {
  const parts: MessagePart[] = [];
  const re = /`([^`\n]+)`/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) parts.push({ code: false, text: text.slice(last, m.index) });
    parts.push({ code: true, text: m[1] });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push({ code: false, text: text.slice(last) });
  return parts;
}
