/**
 * A request header Node may give as a list (sent more than once) read as one value: the first.
 * Headers whose repeats form one comma-separated list (If-Match, If-None-Match) are joined instead,
 * in files/conditional.ts.
 */
export function firstHeaderValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
