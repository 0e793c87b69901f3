// What the CLI takes from undici, Agent and request() (api-client.ts), for the bundle: bundle.js
// puts this module where `undici` is imported. undici's own index loads all of it (fetch, WebSocket,
// EventSource, caches, mocks: 1.1 MB) and every command compiled and ran it before its first
// request. Under tsx and Bun the CLI imports undici itself.
import Agent from 'undici/lib/dispatcher/agent.js';
import apiRequest from 'undici/lib/api/api-request.js';
import util from 'undici/lib/core/util.js';
import errors from 'undici/lib/core/errors.js';

export { Agent };

/** undici's request(url, options), made as its index makes it, for the dispatcher the options give. */
export function request(url, options) {
  if (!options?.dispatcher) throw new errors.InvalidArgumentError('the CLI passes its own dispatcher to every request');
  const parsed = util.parseURL(url);
  return apiRequest.call(options.dispatcher, {
    ...options,
    origin: parsed.origin,
    path: parsed.search ? `${parsed.pathname}${parsed.search}` : parsed.pathname,
    method: options.method || (options.body ? 'PUT' : 'GET'),
  });
}
