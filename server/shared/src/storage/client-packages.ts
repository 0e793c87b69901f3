/**
 * The HTTP and S3 client packages only stores of some drivers use, loaded when the first such store
 * is made rather than with the storage modules: a gateway on the fs driver never needs them. minio
 * brings lodash, xml2js and async with it; undici is a second copy of the client inside Node's
 * fetch. With @tus/s3-store (see the gateway's tus-store.factory.ts), they were about 15 MB of an fs
 * gateway's RSS at rest.
 */

export function loadMinio(): typeof import('minio') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
  return require('minio') as typeof import('minio');
}

export function loadUndici(): typeof import('undici') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, see above
  return require('undici') as typeof import('undici');
}
