import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from './gateway';

/** Opens /api/events/stream and resolves `ended` when the server ends the response. */
async function follow(url: string): Promise<{ ended: Promise<string> }> {
  const res = await fetch(`${url}/api/events/stream`, { headers: { accept: 'text/event-stream' } });
  const reader = res.body!.getReader();
  const first = await reader.read();
  expect(Buffer.from(first.value!).toString()).toContain('retry: 2000');
  const ended = (async () => {
    for (;;) {
      const { done } = await reader.read();
      if (done) return 'ended by the server';
    }
  })();
  return { ended };
}

describe('shutting the gateway down with clients following the event stream', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway('fs');
  });
  afterAll(async () => {
    // The app is closed by the test; the rest (Redis, the database, the folder) still goes.
    await gw?.stop().catch(() => undefined);
  });

  it('ends every open stream at once (clients reconnect with Last-Event-ID), so the gateway stops instead of waiting for them', async () => {
    const clients = await Promise.all([follow(gw.url), follow(gw.url), follow(gw.url)]);
    const stillOpen = new Promise<string>((resolve) => setTimeout(() => resolve('still open after 20 s'), 20_000).unref());
    expect(await Promise.race([gw.app.close().then(() => 'closed'), stillOpen])).toBe('closed');
    for (const client of clients) expect(await client.ended).toBe('ended by the server');
  });
});
