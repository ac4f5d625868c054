import { describe, expect, it } from 'vitest';
import { messageParts } from './message-parts';

describe('message parts', () => {
  it('turns backticked spans into code and keeps the rest as text', () => {
    expect(messageParts('run `dismcli package` first.')).toEqual([
      { code: false, text: 'run ' },
      { code: true, text: 'dismcli package' },
      { code: false, text: ' first.' },
    ]);
    expect(messageParts('`a` and `b`')).toEqual([
      { code: true, text: 'a' },
      { code: false, text: ' and ' },
      { code: true, text: 'b' },
    ]);
  });
  it('leaves a lone backtick, an empty pair and a pair across lines as text', () => {
    expect(messageParts("it's 5` long")).toEqual([{ code: false, text: "it's 5` long" }]);
    expect(messageParts('a `` b')).toEqual([{ code: false, text: 'a `` b' }]);
    expect(messageParts('a `b\nc` d')).toEqual([{ code: false, text: 'a `b\nc` d' }]);
    expect(messageParts('')).toEqual([]);
  });
});
