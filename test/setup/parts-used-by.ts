// Which on-demand stack parts a test file uses: those whose endpoint variables (scripts/stack/env.mjs)
// it names. Kafka, the registry, moto and the RIE are not here: globalSetup starts them for every run.
const ON_DEMAND: Readonly<Record<string, readonly string[]>> = {
  redis: ['REDIS_URL', 'REDIS_PORT'],
  jaeger: ['JAEGER_QUERY_URL', 'JAEGER_OTLP_HTTP_URL'],
};

export function partsUsedBy(source: string): string[] {
  return Object.entries(ON_DEMAND)
    .filter(([, variables]) => variables.some((name) => source.includes(name)))
    .map(([part]) => part);
}
