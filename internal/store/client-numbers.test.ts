import { describe, expect, it } from 'vitest';
import { client } from '../../test/support/router-fixtures.js';
import { clientNumber } from './client-numbers.js';

describe('clientNumber', () => {
  it('finds a number the client owns and nothing else', () => {
    const c = client(1, 'web', [{ number: '+12505550100' }, { number: '+12505550101', webhook: 'https://h/x' }]);
    expect(clientNumber(c, '+12505550101')?.webhook).toBe('https://h/x');
    expect(clientNumber(c, '+12505550199')).toBeUndefined();
    expect(clientNumber(c, '12505550100')).toBeUndefined(); // callers pass canonical E.164
  });

  it('sees a number added to the client after an earlier lookup', () => {
    const c = client(1, 'web', [{ number: '+12505550100' }]);
    expect(clientNumber(c, '+12505550102')).toBeUndefined();
    c.numbers.push({ ...c.numbers[0]!, id: 7, number: '+12505550102' });
    expect(clientNumber(c, '+12505550102')?.id).toBe(7);
  });
});
