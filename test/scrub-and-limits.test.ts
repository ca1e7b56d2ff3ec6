/** The small helpers every error message goes through: secret scrubbing and byte sizes. */
import { secretValues, scrubSecrets, SCRUBBED, MIN_SECRET_LENGTH } from '../src/http/scrub';
import { describeBytes } from '../src/http/limits';

describe('secretValues', () => {
  test('keeps strings of at least MIN_SECRET_LENGTH characters, as typed, URL-encoded and form-encoded, longest first, each once', () => {
    expect(MIN_SECRET_LENGTH).toBe(8);
    expect(secretValues(['1234567', 12345678, undefined, null, '12345678', 'a b/c+d=e', '12345678'])).toEqual(['a%20b%2Fc%2Bd%3De', 'a+b%2Fc%2Bd%3De', 'a b/c+d=e', '12345678']);
  });

  test('a value with nothing to encode is there once', () => {
    expect(secretValues(['plain-secret-value'])).toEqual(['plain-secret-value']);
  });

  test('nothing to keep gives an empty list', () => {
    expect(secretValues([])).toEqual([]);
    expect(secretValues(['short', ''])).toEqual([]);
  });
});

describe('scrubSecrets', () => {
  test('replaces every occurrence of each secret, a longer one first so that it goes whole', () => {
    const secrets = secretValues(['secret-1234', 'secret-1234-and-more']);
    expect(scrubSecrets('a secret-1234-and-more b secret-1234 c secret-1234', secrets)).toBe(`a ${SCRUBBED} b ${SCRUBBED} c ${SCRUBBED}`);
    expect(SCRUBBED).toBe('[REDACTED]');
  });

  test('leaves the text as it is without secrets, and an empty text empty', () => {
    expect(scrubSecrets('nothing here', undefined)).toBe('nothing here');
    expect(scrubSecrets('nothing here', [])).toBe('nothing here');
    expect(scrubSecrets('', ['secret-1234'])).toBe('');
    expect(scrubSecrets('no match', ['secret-1234'])).toBe('no match');
  });
});

describe('describeBytes', () => {
  test.each([
    [0, '0 bytes'],
    [1, '1 byte'],
    [1023, '1023 bytes'],
    [1024, '1 KiB'],
    [1536, '1536 bytes'],
    [2048, '2 KiB'],
    [1024 * 1024 - 1024, '1023 KiB'],
    [1024 * 1024, '1 MiB'],
    [1024 * 1024 + 1024, '1025 KiB'],
    [64 * 1024 * 1024, '64 MiB'],
    [1024 * 1024 * 1024, '1024 MiB'],
  ])('%d is %s', (bytes, text) => {
    expect(describeBytes(bytes)).toBe(text);
  });
});
