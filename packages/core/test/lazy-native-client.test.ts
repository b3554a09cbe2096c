import { createKafkaHandler, json } from '@kafka-lambda/core';
import { expect, it } from 'vitest';
import { loadKafkaClient } from '../src/producer/native-client.js';
import { context, eventRecord, mskEvent, silentLogger } from './fixtures.js';

// Each test file runs in its own process, so this one starts without the native addon.
const nativeAddonLoaded = () =>
  ((process.report.getReport() as { sharedObjects: string[] }).sharedObjects ?? []).some((path) =>
    path.includes('confluent-kafka-javascript'),
  );

it('a consumer-only handler never loads the native Kafka client; the first producer use does', async () => {
  const handler = createKafkaHandler({ value: json<{ id: number }>(), logger: silentLogger, process() {} });
  await handler(mskEvent([eventRecord('t', 0, 1, '{"id":1}')]), context());
  expect(nativeAddonLoaded()).toBe(false);

  await loadKafkaClient();
  expect(nativeAddonLoaded()).toBe(true);
});
