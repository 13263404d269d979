import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../internal/log/index.js';
import { StopDeadlineError, stopWithin, type NamedStop } from './stop-order.js';

const never = (): Promise<void> => new Promise(() => undefined);

function recorder() {
  const calls: string[] = [];
  const component = (name: string, stop: () => Promise<void> = async () => undefined): NamedStop => ({
    name,
    stop: () => {
      calls.push(name);
      return stop();
    },
  });
  return { calls, component };
}

async function failures(run: Promise<void>): Promise<unknown[]> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AggregateError);
  return (err as AggregateError).errors;
}

describe('stopWithin', () => {
  it('stops every component in the given order', async () => {
    const { calls, component } = recorder();
    await stopWithin([component('web'), component('bus'), component('store')], Date.now() + 5_000, silentLogger());
    expect(calls).toEqual(['web', 'bus', 'store']);
  });

  it('goes on past a component that fails, and reports it', async () => {
    const { calls, component } = recorder();
    const boom = new Error('boom');
    const errors = await failures(
      stopWithin([component('web', () => Promise.reject(boom)), component('store')], Date.now() + 5_000, silentLogger()),
    );
    expect(errors).toEqual([boom]);
    expect(calls).toEqual(['web', 'store']);
  });

  it('leaves a component that never stops behind at the deadline and still stops the rest', async () => {
    const { calls, component } = recorder();
    const errors = await failures(
      stopWithin([component('stuck worker', never), component('bus'), component('store')], Date.now() + 50, silentLogger()),
    );
    expect(errors).toEqual([new StopDeadlineError('stuck worker')]);
    expect(calls).toEqual(['stuck worker', 'bus', 'store']);
  });

  it('after the deadline asks the rest to stop without waiting for them', async () => {
    const { calls, component } = recorder();
    const errors = await failures(stopWithin([component('a', never), component('b', never)], Date.now() + 20, silentLogger()));
    expect(errors.map((e) => (e as StopDeadlineError).component)).toEqual(['a', 'b']);
    expect(calls).toEqual(['a', 'b']);
  });

  it('reports a stop() that throws before returning a promise', async () => {
    const boom = new Error('sync');
    const errors = await failures(
      stopWithin(
        [
          {
            name: 'x',
            stop: () => {
              throw boom;
            },
          },
        ],
        Date.now() + 1_000,
        silentLogger(),
      ),
    );
    expect(errors).toEqual([boom]);
  });
});
