import { describe, expect, it } from 'vitest';
import { inRange } from '../../src/security/breached-passwords.js';

const SUFFIX = '1E4C9B93F3F0682250B6CF8331B7EE68FD8';
const OTHER = '011053FD0102E94D6AE2F8B83D76FAF94F6';

describe('inRange (Pwned Passwords range answers)', () => {
  it('finds a suffix listed with a count above 0, on any line, CRLF or LF, in either case', () => {
    expect(inRange(`${OTHER}:3\r\n${SUFFIX}:12\r\n`, SUFFIX)).toBe(true);
    expect(inRange(`${OTHER}:3\n${SUFFIX}:1`, SUFFIX)).toBe(true);
    expect(inRange(`${SUFFIX.toLowerCase()}:7`, SUFFIX)).toBe(true);
    expect(inRange(`${OTHER}:3\r\n  ${SUFFIX}:2\r\n`, SUFFIX)).toBe(true);
    // Leading blanks of any kind (space, tab, a stray CR), also on the first line.
    expect(inRange(` ${SUFFIX}:2`, SUFFIX)).toBe(true);
    expect(inRange(`${OTHER}:3\n\t${SUFFIX}:2`, SUFFIX)).toBe(true);
    expect(inRange(`${OTHER}:3\n\r${SUFFIX}:2`, SUFFIX)).toBe(true);
    // Not the last line: the count ends at its line's end.
    expect(inRange(`${SUFFIX}:12\r\n${OTHER}:3`, SUFFIX)).toBe(true);
  });

  it('ignores padding (count 0), absent suffixes, and the suffix inside another line', () => {
    expect(inRange(`${OTHER}:3\r\n${SUFFIX}:0\r\n`, SUFFIX)).toBe(false);
    expect(inRange(`${OTHER}:3\r\n`, SUFFIX)).toBe(false);
    expect(inRange('', SUFFIX)).toBe(false);
    // Shifted by one digit: the suffix is in the text but not as a line's hash.
    expect(inRange(`0${SUFFIX.slice(0, 34)}:5\r\nA${SUFFIX}:5\r\n`, SUFFIX)).toBe(false);
    // Followed or preceded by more digits: a different, longer hash (also at the start of the text).
    expect(inRange(`${SUFFIX}0:5\r\n`, SUFFIX)).toBe(false);
    expect(inRange(`A${SUFFIX}:5`, SUFFIX)).toBe(false);
    // Followed by anything but the colon of its count.
    expect(inRange(`${SUFFIX} 5\r\n`, SUFFIX)).toBe(false);
    // A later occurrence still counts after an earlier non-match.
    expect(inRange(`A${SUFFIX}:5\r\n${SUFFIX}:0\r\n${SUFFIX}:4`, SUFFIX)).toBe(true);
  });
});
