/**
 * Polls `check` every 25 ms until it holds; rejects with "condition not met in time" after
 * `timeoutMs`. An error thrown by `check` fails at once (see smpp-gateway's `until` for a poll
 * that treats errors as "not yet").
 */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}
