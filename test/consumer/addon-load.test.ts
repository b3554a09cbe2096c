// A new user's project whose native client was built for another Node.js: the packed packages must say
// so, and how to rebuild, from the producer's first send and from kafka-lambda-local. The addon is a
// real build for another ABI from the workspace's cache (CI has Node 22's and Node 24's).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foreignBuild, NATIVE, nativeClientCopy } from '../support/native-client-copy.js';
import { type ConsumerProject, createConsumerProject } from './support/consumer-project.js';

const foreign = foreignBuild();

describe.skipIf(!foreign)(
  `a consumer project whose addon was built for NODE_MODULE_VERSION ${foreign?.abi}`,
  () => {
    let project: ConsumerProject;

    beforeAll(async () => {
      project = await createConsumerProject('addon-abi', {
        type: 'module',
        files: { 'produce.mjs': 'addon/produce.mjs', 'handler.mjs': 'addon/handler.mjs' },
      });
      nativeClientCopy(project.dir, { link: foreign!.dir });
    }, 240_000);

    afterAll(() => project?.remove());

    it('the producer fails with AddonLoadError: built for another Node, rebuild for this one, with the command', async () => {
      const result = await project.result<{
        name?: string;
        failure?: string;
        compiledFor?: number;
        required?: number;
        message?: string;
      }>('produce.mjs');
      expect(result).toMatchObject({
        name: 'AddonLoadError',
        failure: 'abi-mismatch',
        compiledFor: Number(foreign!.abi),
        required: Number(process.versions.modules),
      });
      expect(result.message).toContain(`this is Node.js ${process.versions.node}`);
      expect(result.message).toContain(`npm rebuild ${NATIVE}`);
      expect(result.message).not.toContain('install it');
    });

    it('kafka-lambda-local names the same cause, not "add it to your devDependencies"', async () => {
      const failed = await project
        .exec('node_modules/.bin/kafka-lambda-local', [
          'handler.mjs',
          '--topic',
          'addon-load',
          '--brokers',
          '127.0.0.1:9',
        ])
        .then(
          () => undefined,
          (error: Error) => error.message,
        );
      expect(failed).toBeDefined();
      expect(failed).toContain(`AddonLoadError: runEventSource cannot load ${NATIVE}`);
      expect(failed).toContain(`NODE_MODULE_VERSION ${foreign!.abi}`);
      expect(failed).not.toContain('devDependencies');
    });
  },
);
