import S3rver from 's3rver';
import { tempDir } from './services';

/** A real S3-speaking server (s3rver, from npm) on loopback, for runs of the s3 driver. */
export async function startS3(): Promise<{ endpoint: string; accessKey: string; secretKey: string; stop: () => Promise<void> }> {
  const dir = await tempDir('nebula-s3rver-');
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir.path });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    // s3rver's built-in account.
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    stop: async () => {
      await server.close();
      await dir.remove();
    },
  };
}
