import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FailedRecords, OnFailureDestination } from './destination.js';
import { invocationRecord } from './failure-record.js';

/**
 * An S3, SQS or SNS on-failure destination written to a local folder: one JSON file per failed batch,
 * `<dir>/<kind>/<bucket, queue or topic name>/<ISO time>-<request id>.json`, holding the invocation
 * record in AWS's shape ({@link invocationRecord}). For S3 it carries `payload` (the whole event, as
 * an escaped JSON string), so `fromFailureRecords` and `kafka-lambda-local --from-failures-dir`
 * replay it; SQS and SNS get the metadata only, as in AWS. A file appears whole or not at all.
 */
export class FolderDestination implements OnFailureDestination {
  readonly uri: string;
  /** The folder this destination's files go to. */
  readonly folder: string;
  readonly #withPayload: boolean;

  constructor(uri: string, kind: 's3' | 'sqs' | 'sns', name: string, dir: string) {
    this.uri = uri;
    this.folder = path.join(dir, kind, name);
    this.#withPayload = kind === 's3';
  }

  async write({ records, context }: FailedRecords): Promise<void> {
    const body = invocationRecord(records, context, { withPayload: this.#withPayload });
    await mkdir(this.folder, { recursive: true });
    const name = `${context.failedAt.toISOString().replace(/[:.]/g, '-')}-${context.requestId}.json`;
    const file = path.join(this.folder, name);
    await writeFile(`${file}.tmp`, `${JSON.stringify(body, null, 2)}\n`);
    await rename(`${file}.tmp`, file);
  }

  async close(): Promise<void> {}
}
