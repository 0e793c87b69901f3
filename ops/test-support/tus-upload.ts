import { createReadStream, statSync } from 'node:fs';
import * as tus from 'tus-js-client';

/** Uploads `file` as `name` into the root folder with tus-js-client, as a plain tus client would. */
export function tusUpload(url: string, file: string, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    new tus.Upload(createReadStream(file), {
      endpoint: `${url}/api/uploads`,
      uploadSize: statSync(file).size,
      chunkSize: 64 * 1024 * 1024,
      metadata: { filename: name },
      onError: reject,
      onSuccess: () => resolve(),
    }).start();
  });
}
