import type { AddressRanges } from './address-ranges';
import { clientAddress, type ClientAddress, type Connection } from './client-address';

export type AccessDecision =
  | { allowed: true; client: ClientAddress }
  | {
      allowed: false;
      /** Who was refused, for the log line: the client address, or the socket peer when unknown. */
      address: string;
      /** The sentence the refused peer gets in the 403. */
      message: string;
      /** The warning the gateway logs. */
      logLine: string;
    };

/**
 * Whether a connection may talk to Nebula: its client address (see clientAddress) must be in
 * NEBULA_ALLOWED_CIDRS. `what` (e.g. "GET /api/health") only goes into the log line.
 */
export function decideAccess(connection: Connection, allowed: AddressRanges, trusted: AddressRanges, what: string): AccessDecision {
  const client = clientAddress(connection, trusted);
  if (!client.ok) {
    const address = client.socketAddress ?? String(connection.socketAddress ?? 'unknown');
    return {
      allowed: false,
      address,
      message: `Nebula cannot tell who is calling: ${client.reason}. Requests must come from the tailnet, directly or through a proxy that names the client.`,
      logLine: `refused ${address}: ${what}: ${client.reason}`,
    };
  }
  if (allowed.contains(client.address)) return { allowed: true, client };
  const via = client.address === client.socketAddress ? '' : ` (forwarded by ${client.socketAddress})`;
  return {
    allowed: false,
    address: client.address,
    message: `${client.address}${via} is not on the tailnet: this Nebula only answers Tailscale addresses and this machine (NEBULA_ALLOWED_CIDRS). Connect through Tailscale.`,
    logLine: `refused ${client.address}${via}: ${what}: not in NEBULA_ALLOWED_CIDRS`,
  };
}
