import { describe, expect, it } from 'vitest';
import { traceIdFrom } from './trace';

describe('traceIdFrom', () => {
  it('takes the trace id of a valid traceparent', () => {
    expect(traceIdFrom('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });
  it('makes a new one when the header is missing, malformed or all zeros', () => {
    for (const header of [undefined, 'nonsense', '00-00000000000000000000000000000000-00f067aa0ba902b7-01']) {
      const id = traceIdFrom(header);
      expect(id).toMatch(/^[\da-f]{32}$/);
      expect(id).not.toBe('00000000000000000000000000000000');
    }
  });
});
