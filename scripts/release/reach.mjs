// What a function's bundle reaches of core: for a consumer-only JSON handler and for one that produces,
// bundles the handler from core's sources (esbuild, minified, as a Lambda bundle would be) and prints
// how many of core's source files it statically reaches, and which folders they are in. Issue 25
// tracks these numbers: `node scripts/release/reach.mjs` (add `--files` to list the files with the minified bytes each adds).
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { bundleFromCore, coreSrc } from './core-bundle.mjs';

const listFiles = process.argv.includes('--files');

const HANDLERS = {
  'consumer-only JSON handler': `
    import { createKafkaHandler, json } from '@kafka-lambda/core';
    export const handler = createKafkaHandler({ value: json(), async process(record) {
      console.log(record.key, record.value, record.headers.getString('trace-id'));
    } });`,
  'JSON handler that produces': `
    import { createKafkaHandler, json } from '@kafka-lambda/core';
    import { kafkaProducer } from '@kafka-lambda/core/producer';
    const producer = kafkaProducer({ 'bootstrap.servers': process.env.KAFKA_BROKERS });
    export const handler = createKafkaHandler({ value: json(), producer, onError: { policy: 'dead-letter', topic: 'orders.dlq' }, async process(record, { produce }) {
        produce({ topic: 'out', key: record.key, value: JSON.stringify(record.value) });
    } });`,
};

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sources(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

const all = sources(coreSrc).filter((file) => !file.includes(`${join(coreSrc, 'entry')}`));
console.log(`core: ${all.length} source files (entry files not counted)`);
for (const [name, contents] of Object.entries(HANDLERS)) {
  const result = await bundleFromCore(contents, { minify: true, metafile: true });
  const output = Object.values(result.metafile.outputs)[0];
  const reachedInputs = Object.entries(output.inputs).filter(
    ([file, input]) =>
      file.startsWith('packages/core/src/') && !file.includes('/entry/') && input.bytesInOutput > 0,
  );
  const bytesOf = new Map(
    reachedInputs.map(([file, input]) => [relative('packages/core/src', file), input.bytesInOutput]),
  );
  const reached = [...bytesOf.keys()];
  const byFolder = {};
  for (const file of reached) {
    const folder = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '.';
    byFolder[folder] = (byFolder[folder] ?? 0) + 1;
  }
  const kib = (result.outputFiles[0].contents.length / 1024).toFixed(1);
  console.log(
    `${name}: ${reached.length} of core's files, ${kib} KiB minified; by folder ${JSON.stringify(byFolder)}`,
  );
  // With --files: each file and the minified bytes it adds, largest first.
  if (listFiles)
    for (const file of reached.sort((a, b) => bytesOf.get(b) - bytesOf.get(a)))
      console.log(`  ${(bytesOf.get(file) / 1024).toFixed(1).padStart(5)} KiB  ${file}`);
}
