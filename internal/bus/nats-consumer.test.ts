import { describe, expect, it } from 'vitest';
import { ackCounts } from './nats-consumer.js';

describe('ackCounts', () => {
  it('reads the delivery count and stream sequence of both ack subject forms, as nats.js parses them', () => {
    expect(ackCounts('$JS.ACK.MSGGW_OUT.carrier-1.3.1234.1200.1732800000000000000.17')).toEqual({ deliveryCount: 3, seq: 1234 });
    expect(ackCounts('$JS.ACK._.ACCHASH.MSGGW_OUT.carrier-1.1.98765.98000.1732800000000000000.0.RANDOM'))
      .toEqual({ deliveryCount: 1, seq: 98765 });
    expect(ackCounts('$JS.ACK.hub.ACCHASH.S.C.2.7.7.1732800000000000000.0')).toEqual({ deliveryCount: 2, seq: 7 });
  });

  it('says nothing for what is not an ack subject, so the caller asks nats.js', () => {
    expect(ackCounts('')).toBeUndefined();
    expect(ackCounts('_INBOX.abc.1')).toBeUndefined();
    expect(ackCounts('$JS.ACK.S.C.x.1.1.1.1')).toBeUndefined();
    expect(ackCounts('$JS.ACK.S.C.1.1.1.1')).toBeUndefined();
  });
});
