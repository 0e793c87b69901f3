import type { TestProject } from 'vitest/node';
import { startRgw } from './rgw-server';

import './s3-server';

/**
 * One real S3 server (Ceph RGW, see rgw-server.ts) for a project's whole run; each test takes its
 * own bucket (s3-server.ts). Started here, stopped by pid when the run ends.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const rgw = await startRgw({ memoryBytes: 4 * 1024 ** 3 });
  project.provide('s3', { endpoint: rgw.endpoint, region: rgw.region, accessKey: rgw.accessKey, secretKey: rgw.secretKey, conf: rgw.conf });
  return () => rgw.stop();
}
