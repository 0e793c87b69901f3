// Test double: `answer` stands in for the gateway's HTTP answers (canned Responses), so the client's
// own rules (URLs, error mapping) are checked without a server. The CLI's and the web UI's tests run
// the same client against the real gateway (cli/test, ops/test/web-*.test.ts).
import { describe, expect, it } from 'vitest';
import { ApiClient } from './client';
import { ApiError } from './errors';

const unreachable = (cause: unknown, doing: string) => new Error(`unreachable while ${doing}`, { cause });

function clientAnswering(answer: (url: string, init: RequestInit) => Response) {
  const asked: { url: string; method?: string; headers: Record<string, string>; body?: unknown }[] = [];
  const client = new ApiClient({
    baseUrl: 'http://nebula.test',
    headers: { 'user-agent': 'nebula-test' },
    unreachable,
    fetch: async (url, init) => {
      asked.push({ url, method: init.method, headers: init.headers as Record<string, string>, body: init.body });
      return answer(url, init);
    },
  });
  return { client, asked };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

describe('the API client', () => {
  it('builds each URL from the routes, with the caller\'s headers', async () => {
    const { client, asked } = clientAnswering(() => json(200, { path: '/a b', entries: [] }));
    await client.listFolder('/a b');
    await client.move('id/1', { name: 'x' });
    expect(asked.map((a) => [a.method, a.url])).toEqual([
      ['GET', 'http://nebula.test/api/files?path=%2Fa+b'],
      ['PATCH', 'http://nebula.test/api/files/id%2F1'],
    ]);
    expect(asked[1]!.headers).toEqual({ accept: 'application/json', 'content-type': 'application/json', 'user-agent': 'nebula-test' });
    expect(asked[1]!.body).toBe('{"name":"x"}');
  });

  it('turns an error body into an ApiError with the server\'s code, sentence and extra fields', async () => {
    const body = { statusCode: 409, code: 'upload_in_progress', message: 'a.mp4 is being uploaded', upload: { url: '/api/uploads/u1' } };
    const { client } = clientAnswering(() => json(409, body));
    const error = await client.createFolder('/a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 409, code: 'upload_in_progress', message: 'a.mp4 is being uploaded', body });
  });

  it('says clearly when the answer is not Nebula\'s: a proxy page, or a login page with 200', async () => {
    const proxy = clientAnswering(() => new Response('<html><body>Bad gateway</body></html>', { status: 502 }));
    await expect(proxy.client.entry('f1')).rejects.toMatchObject({ status: 502, code: 'server_error', message: 'the server answered 502' });
    const login = clientAnswering(() => new Response('<html>Sign in</html>', { status: 200 }));
    await expect(login.client.entry('f1')).rejects.toMatchObject({
      code: 'bad_response',
      message: "looking up a file failed: the answer was not Nebula's (is a proxy or a login page in between?)",
    });
  });

  it('names what it was doing when nobody answers', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const { client } = clientAnswering(() => {
      throw refused;
    });
    await expect(client.lookup('/x')).rejects.toMatchObject({ message: 'unreachable while looking up /x', cause: refused });
  });

  it('finds an entry or says there is none, and reads how many media jobs were left out', async () => {
    const { client, asked } = clientAnswering((url) =>
      url.includes('/lookup') ? json(404, { statusCode: 404, code: 'not_found', message: 'nothing at /x' }) : json(200, [], { 'x-more-jobs': '3' }),
    );
    expect(await client.find('/x')).toBeNull();
    expect(await client.mediaJobs({ recent: 5, path: '/' })).toEqual({ jobs: [], more: 3 });
    expect(asked[1]!.url).toBe('http://nebula.test/api/media/jobs?recent=5');
  });

  it('takes a gone upload as given up', async () => {
    const { client } = clientAnswering(() => new Response(null, { status: 410 }));
    await expect(client.terminateUpload('/api/uploads/u1')).resolves.toBeUndefined();
  });
});
