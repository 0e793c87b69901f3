import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { runWithTrace } from '@nebula/shared/runtime';
import type { CrossSiteGuard } from '../access/cross-site-guard';
import type { TailnetGuard } from '../access/tailnet-guard';
import { observe } from '../http/observability';
import type { GatewayMetrics } from '../metrics/gateway-metrics';
import { unsetContentHeaders, type ContentSender } from './content-sender';
import type { ReadyFiles } from './ready-files';

/** The route's pattern, as Nest declares it (content.controller.ts) and as metrics label it. */
export const CONTENT_ROUTE = '/api/files/:id/content';
/** A file's content, with no query or only `download=...`: anything else is Express's to parse. */
const CONTENT_URL = /^\/api\/files\/([^/?#]+)\/content(?:\?download=([^&#]*))?$/;

export interface FastPathParts {
  tailnet: TailnetGuard;
  crossSite: CrossSiteGuard;
  readyFiles: ReadyFiles;
  sender: ContentSender;
  logger: Logger;
  metrics: GatewayMetrics;
}

/**
 * The bytes of a file the gateway has served before, answered in front of Express: a player's
 * range requests (a TV seeking asks for dozens) are almost all of that kind, and Express's router,
 * middleware chain and Nest's handler allocate about 40 KB per request. With 32 clients reading
 * random 1 MiB ranges, that garbage alone cost a sixth of the throughput and most of the full
 * collections (ops/bench/range.ts).
 *
 * It answers only what every layer it skips would have let through unchanged: a GET or HEAD of
 * `/api/files/<id>/content` (query empty or `download=`), a file in ReadyFiles, a peer the tailnet
 * guard admits, a Host the cross-site guard allows and no other Origin. The same guards decide
 * (TailnetGuard.admits, CrossSiteGuard.passesAsIs), the same headers go out (setPageHeaders, the
 * trace id, ContentSender), and it is observed as Express's requests are (metrics under the route's
 * pattern, an access line). Everything else, refusals included, goes to Express as before: this
 * path declines and never answers an error itself. If the file cannot be read before the answer
 * has begun (deleted by another process, whose event is on its way), Express's route answers
 * from the database.
 *
 * Returns the server's request listener: this path, then `express` for the rest.
 */
export function withContentFastPath(parts: FastPathParts, express: RequestListener): RequestListener {
  const { tailnet, crossSite, readyFiles, sender, logger, metrics } = parts;
  return (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return express(req, res);
    const match = CONTENT_URL.exec(req.url ?? '');
    const file = match ? readyFiles.get(match[1]!) : undefined;
    if (!file || !tailnet.admits(req) || !crossSite.passesAsIs(req)) return express(req, res);
    const download = !!match![2];
    const traceId = observe(logger, metrics, req, res, () => CONTENT_ROUTE);
    crossSite.setPageHeaders(res);
    runWithTrace({ traceId }, () => {
      sender.send(file, download, req, res, req.method === 'GET').catch(() => {
        // Failed before a byte left (send cuts the connection itself after that): the route tries
        // again from the database and answers as every route does (a 404 for a file deleted
        // meanwhile, a 500 without details for the rest, logged).
        readyFiles.forget(file.id);
        unsetContentHeaders(res);
        res.statusCode = 200;
        express(req, res);
      });
    });
  };
}
