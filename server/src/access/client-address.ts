import type { IncomingHttpHeaders } from 'node:http';
import parseForwarded from 'forwarded-parse';
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
 * `Forwarded` (RFC 7239) wins over `X-Forwarded-For` when a trusted proxy sent both.
 */
export function clientAddress(connection: Connection, trusted: AddressRanges): ClientAddress | UnknownClient {
  const socketAddress = normalizeAddress(connection.socketAddress);
  if (!socketAddress) return { ok: false, socketAddress: null, reason: `the connection's peer address ${JSON.stringify(connection.socketAddress ?? null)} is not an IP address` };
  const socketTrusted = trusted.contains(socketAddress);
  const fromSocket: ClientAddress = { ok: true, address: socketAddress, port: connection.socketPort ?? null, socketAddress, socketTrusted };
  if (!socketTrusted) return fromSocket;

  const chain = forwardingChain(connection.headers);
  if (!chain.ok) return { ok: false, socketAddress, reason: `the trusted proxy ${socketAddress} sent ${chain.reason}` };
  let client = fromSocket;
  for (const hop of [...chain.hops].reverse()) {
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

type Chain = { ok: true; hops: Hop[] } | { ok: false; reason: string };

/** The hops a forwarding header lists, client first; no header at all is an empty chain. */
export function forwardingChain(headers: IncomingHttpHeaders): Chain {
  const forwarded = headerText(headers.forwarded);
  if (forwarded !== undefined) {
    let elements: Record<string, string>[];
    try {
      elements = parseForwarded(forwarded);
    } catch (error) {
      return { ok: false, reason: `a malformed Forwarded header (${(error as Error).message})` };
    }
    // An element without `for=` (only by/proto/host) says nothing about who sent the request.
    return { ok: true, hops: elements.map((e) => splitHostPort(e.for ?? '')) };
  }
  const xff = headerText(headers['x-forwarded-for']);
  if (xff !== undefined) return { ok: true, hops: xff.split(',').map((entry) => splitHostPort(entry.trim())) };
  return { ok: true, hops: [] };
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
