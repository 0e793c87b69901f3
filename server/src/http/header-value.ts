/**
 * A request header Node may give as a list (sent more than once) read as one value: the first. For
 * headers whose repeats are a comma-separated list (If-Match, If-None-Match), join them instead.
 */
export function firstHeaderValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
