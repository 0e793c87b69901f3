import type { BlockList } from 'node:net';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

export function trustedProxies(spec: string | undefined): BlockList;
export function forwardedHeaders(incoming: IncomingHttpHeaders, peer: string, trusted: BlockList): OutgoingHttpHeaders;
