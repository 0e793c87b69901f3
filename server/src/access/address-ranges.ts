import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * An IP address as the access rules compare it: IPv4-mapped IPv6 (`::ffff:100.64.1.2`, what a
 * dual-stack `::` listener reports for an IPv4 peer) becomes plain IPv4, and an IPv6 zone
 * (`fe80::1%eth0`) is dropped. Null when the text is not an IP address.
 * Every request's peer goes through here (about 3.5 µs with ipaddr.js), and a home server has few
 * peers: the answers are remembered, a bounded number of them. Nothing changes a parsed address.
 */
export function parseAddress(text: string | undefined | null): Address | null {
  if (!text) return null;
  const known = parsed.get(text);
  if (known !== undefined) return known;
  const address = parseAddressText(text);
  if (text.length > LONGEST_ADDRESS) return address;
  if (parsed.size >= PARSED_ADDRESSES) parsed.clear();
  parsed.set(text, address);
  return address;
}

const PARSED_ADDRESSES = 1024;
/** An IPv6 address with an IPv4 tail and a zone fits; longer text (a forwarded header's junk) is not kept. */
const LONGEST_ADDRESS = 64;
const parsed = new Map<string, Address | null>();

function parseAddressText(text: string): Address | null {
  const trimmed = text.trim();
  if (!ipaddr.isValid(trimmed)) return null;
  // ipaddr.isValid also accepts the legacy IPv4 forms (`0x7f.1`, `127.1`); only dotted quads are addresses here.
  if (ipaddr.IPv4.isIPv4(trimmed) && !ipaddr.IPv4.isValidFourPartDecimal(trimmed)) return null;
  const address = ipaddr.process(trimmed);
  if (address.kind() === 'ipv6') (address as ipaddr.IPv6).zoneId = undefined;
  return address;
}

/** The canonical text of an address (`100.64.1.2`, `fd7a:115c:a1e0::1`), or null when it is not one. */
export function normalizeAddress(text: string | undefined | null): string | null {
  return parseAddress(text)?.toString() ?? null;
}

/**
 * A list of CIDR ranges (or single addresses), IPv4 and IPv6, as NEBULA_ALLOWED_CIDRS and
 * NEBULA_TRUSTED_PROXIES give them. The config module has already checked each entry's syntax.
 */
export class AddressRanges {
  private readonly ranges: [Address, number][];

  constructor(readonly list: readonly string[]) {
    this.ranges = list.map(parseRange);
  }

  /** Whether the address is in one of the ranges; false for anything that is not an IP address. */
  contains(address: string | Address | null | undefined): boolean {
    const parsed = typeof address === 'string' || address == null ? parseAddress(address) : address;
    if (!parsed) return false;
    return this.ranges.some(([network, bits]) => network.kind() === parsed.kind() && (parsed as ipaddr.IPv4).match(network as ipaddr.IPv4, bits));
  }
}

function parseRange(entry: string): [Address, number] {
  const text = entry.trim();
  const [network, bits] = text.includes('/') ? ipaddr.parseCIDR(text) : withFullLength(ipaddr.parse(text));
  // `::ffff:100.64.0.0/106` means the IPv4 range 100.64.0.0/10: addresses are compared as IPv4.
  if (network.kind() === 'ipv6' && (network as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    return [(network as ipaddr.IPv6).toIPv4Address(), bits - 96];
  }
  return [network, bits];
}

function withFullLength(address: Address): [Address, number] {
  return [address, address.kind() === 'ipv4' ? 32 : 128];
}
