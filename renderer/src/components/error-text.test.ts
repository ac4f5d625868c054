import { describe, expect, it } from 'vitest';
import { ApiError } from '@/shared/api/errors';
import { errorName, errorText } from './error-text';

describe('error text (how every step shows a back-end error)', () => {
  it('puts a telling name before the message, not a generic one', () => {
    expect(errorText(new ApiError('NOT_FOUND', 'Folder not found: /x', undefined, 'NotFoundError'))).toBe(
      'NotFoundError: Folder not found: /x',
    );
    expect(errorText(new ApiError('X', 'plain'))).toBe('plain');
    expect(errorText(new Error('plain'))).toBe('plain');
    expect(errorText({ name: 'PortError', message: 'port 8080 is taken' })).toBe('PortError: port 8080 is taken');
  });

  it('copes with what is not an Error', () => {
    expect(errorText('just text')).toBe('just text');
    expect(errorText(null)).toBe('null');
    expect(errorName(undefined)).toBeNull();
    expect(errorName({ name: 42 })).toBeNull();
  });
});
