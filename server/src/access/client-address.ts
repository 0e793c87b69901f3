import type { IncomingHttpHeaders } from 'node:http';
import { normalizeAddress, type AddressRanges } from './address-ranges';

/** What the access rules know of a connection before they decide. */
export interface Connection {
  /** The socket's remote address, as Node reports it (may be `::ffff:a.b.c.d`). */
  socketAddress: string | undefined;
  socketPort: number | undefined;
  headers: IncomingHttpHeaders;
}

/** Who is on the other end, as far as the trusted hops tell. */
export interface ClientAddress {
  ok: true;
  /** The client's address, canonical (IPv4-mapped IPv6 as plain IPv4). */
  address: string;
  /** Its source port, when known (the socket's, or one a trusted proxy forwarded); null otherwise. */
  port: number | null;
  /** The socket peer, canonical. */
  socketAddress: string;
  /** Whether the socket peer is a trusted proxy, so its identity headers count. */
  socketTrusted: boolean;
}

/** A trusted proxy sent forwarding headers that name no address; nobody can say who the client is. */
export interface UnknownClient {
  ok: false;
  socketAddress: string | null;
  reason: string;
}

/**
 * The client's address, judged the way Express's proxy-addr does: start at the socket peer; while
 * the current hop is a trusted proxy, step one entry left in the forwarding header it appended. The
 * first untrusted hop is the client. Entries left of it were written by the client itself and are
 * ignored (that is how a spoofed `X-Forwarded-For: 100.64.0.1` from a LAN peer gets nowhere).
 *
 * Only `X-Forwarded-For` counts, never `Forwarded` (RFC 7239): `tailscale serve`, nginx, Caddy and
 * HAProxy append to the former but pass a client's own `Forwarded` header through untouched, so
 * reading it would let anyone behind such a proxy claim a tailnet address.
 */
export function clientAddress(connection: Connection, trusted: AddressRanges): ClientAddress | UnknownClient {
  const socketAddress = normalizeAddress(connection.socketAddress);
  if (!socketAddress) return { ok: false, socketAddress: null, reason: `the connection's peer address ${JSON.stringify(connection.socketAddress ?? null)} is not an IP address` };
  const socketTrusted = trusted.contains(socketAddress);
  const fromSocket: ClientAddress = { ok: true, address: socketAddress, port: connection.socketPort ?? null, socketAddress, socketTrusted };
  if (!socketTrusted) return fromSocket;

  let client = fromSocket;
  for (const hop of forwardingChain(connection.headers).reverse()) {
    if (!trusted.contains(client.address)) break;
    const address = normalizeAddress(hop.address);
    if (!address) return { ok: false, socketAddress, reason: `the trusted proxy ${socketAddress} forwarded for ${JSON.stringify(hop.raw)}, which is not an IP address` };
    client = { ok: true, address, port: hop.port, socketAddress, socketTrusted };
  }
  return client;
}

interface Hop {
  raw: string;
  address: string;
  port: number | null;
}

/** The hops X-Forwarded-For lists, client first; no header at all is an empty chain. */
export function forwardingChain(headers: IncomingHttpHeaders): Hop[] {
  const xff = headerText(headers['x-forwarded-for']);
  return xff === undefined ? [] : xff.split(',').map((entry) => splitHostPort(entry.trim()));
}

/** Several header lines of the same name arrive joined by ", " (or as an array); either way one list. */
function headerText(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value.join(', ') : value;
  return text.trim() === '' ? undefined : text;
}

/** `1.2.3.4`, `1.2.3.4:5678`, `[2001:db8::1]:4711`, `2001:db8::1`; anything else is kept raw for the error. */
function splitHostPort(raw: string): Hop {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(raw);
  if (bracketed) return { raw, address: bracketed[1]!, port: toPort(bracketed[2]) };
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(raw);
  if (v4WithPort) return { raw, address: v4WithPort[1]!, port: toPort(v4WithPort[2]) };
  return { raw, address: raw, port: null };
}

function toPort(text: string | undefined): number | null {
  if (text === undefined) return null;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : null;
}
