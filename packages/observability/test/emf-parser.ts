// Reads an Embedded Metric Format line the way CloudWatch Logs does (the EMF specification): a JSON
// object with an `_aws` envelope whose `CloudWatchMetrics` directives name a namespace, dimension sets
// and metrics, each dimension and metric value being a top-level key. Anything CloudWatch would reject
// (or silently not extract) throws here, so a test that passes means CloudWatch gets the metric.
const UNITS = new Set([
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
]);

export interface ExtractedMetric {
  namespace: string;
  name: string;
  unit: string;
  value: number;
  dimensions: Record<string, string>;
  timestamp: number;
}

export function parseEmf(line: string): ExtractedMetric[] {
  if (line.includes('\n')) throw new Error('an EMF document must be one log line');
  const doc = JSON.parse(line) as Record<string, unknown>;
  const aws = doc._aws as Record<string, unknown> | undefined;
  if (!aws || typeof aws !== 'object') throw new Error('no _aws envelope');
  const timestamp = aws.Timestamp;
  if (typeof timestamp !== 'number' || !Number.isInteger(timestamp) || timestamp < 1e12)
    throw new Error('_aws.Timestamp must be epoch milliseconds');
  const directives = aws.CloudWatchMetrics;
  if (!Array.isArray(directives) || directives.length === 0)
    throw new Error('_aws.CloudWatchMetrics must be a non-empty array');
  const out: ExtractedMetric[] = [];
  for (const directive of directives as Array<Record<string, unknown>>) {
    const namespace = directive.Namespace;
    if (typeof namespace !== 'string' || namespace.length === 0 || namespace.length > 255)
      throw new Error('bad Namespace');
    const sets = directive.Dimensions;
    if (!Array.isArray(sets)) throw new Error('Dimensions must be an array of dimension sets');
    const metrics = directive.Metrics;
    if (!Array.isArray(metrics) || metrics.length === 0 || metrics.length > 100)
      throw new Error('Metrics: 1..100 entries');
    for (const set of sets as unknown[]) {
      if (!Array.isArray(set) || set.length > 30)
        throw new Error('a dimension set is an array of at most 30 names');
    }
    for (const metric of metrics as Array<Record<string, unknown>>) {
      const name = metric.Name;
      if (typeof name !== 'string' || name.length === 0) throw new Error('metric Name');
      const unit = (metric.Unit as string | undefined) ?? 'None';
      if (!UNITS.has(unit)) throw new Error(`unit ${unit} is not a CloudWatch unit`);
      const value = doc[name];
      const values = Array.isArray(value) ? value : [value];
      for (const v of values)
        if (typeof v !== 'number' || !Number.isFinite(v))
          throw new Error(`metric ${name} has no numeric top-level value`);
      for (const set of sets as string[][]) {
        const dimensions: Record<string, string> = {};
        for (const dim of set) {
          const dv = doc[dim];
          if (typeof dv !== 'string' || dv.length === 0 || dv.length > 1024)
            throw new Error(`dimension ${dim} has no string top-level value`);
          dimensions[dim] = dv;
        }
        for (const v of values)
          out.push({ namespace, name, unit, value: v as number, dimensions, timestamp });
      }
    }
  }
  return out;
}
