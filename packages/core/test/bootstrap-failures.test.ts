// The lines BootstrapFailures reads, as the real client (1.10.1, librdkafka 2.x) logs them: SASL brokers
// from recordings/client-errors.json; plaintext ones (named without a scheme) captured the same way
// from the client connecting to 127.0.0.1:1 and to an .invalid name (see definitive-failures.int.test.ts).
import { describe, expect, it } from 'vitest';
import { BootstrapFailures, bootstrapServersOf } from '../src/producer/bootstrap-failures.js';
import { recorded } from './recorded-client.js';

const PLAINTEXT_REFUSED =
  '[thrd:127.0.0.1:1/bootstrap]: 127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused (after 0ms in state CONNECT)';
const PLAINTEXT_UNRESOLVABLE =
  "[thrd:kafka-lambda-typo.invalid:9092/bootstrap]: kafka-lambda-typo.invalid:9092/bootstrap: Failed to resolve 'kafka-lambda-typo.invalid:9092': Name or service not known (after 0ms in state CONNECT)";
const logLines = (scenario: string) => recorded(scenario, 'event.log').map((e) => e.log!.message);

describe('BootstrapFailures', () => {
  it('every server refused or unknown (recorded SASL lines, plaintext lines): all failed, saying why', () => {
    const sasl = new BootstrapFailures(bootstrapServersOf('SASL_PLAINTEXT://127.0.0.1:19292'));
    for (const line of logLines('all-brokers-down-at-connect')) sasl.heard(line);
    expect(sasl.allFailed).toBe(true);
    expect(sasl.definitiveReason()).toMatch(/connection refused by 127\.0\.0\.1:19292/);

    const plain = new BootstrapFailures(bootstrapServersOf('127.0.0.1:1, kafka-lambda-typo.invalid'));
    expect(plain.heard(PLAINTEXT_REFUSED)).toBe(true);
    expect(plain.allFailed).toBe(false);
    expect(plain.heard(PLAINTEXT_UNRESOLVABLE)).toBe(true);
    expect(plain.allFailed).toBe(true);
    expect(plain.definitiveReason()).toMatch(
      /connection refused by 127\.0\.0\.1:1 .*; no such host name: kafka-lambda-typo\.invalid:9092/,
    );
  });

  it('counts nothing that a retry may fix, or that is not a bootstrap server of this config', () => {
    const failures = new BootstrapFailures(['127.0.0.1:1']);
    // A temporary DNS failure (EAI_AGAIN), another broker's line, a line of a known broker id.
    expect(
      failures.heard(
        "[thrd:127.0.0.1:1/bootstrap]: 127.0.0.1:1/bootstrap: Failed to resolve '127.0.0.1:1': Temporary failure in name resolution (after 5ms in state CONNECT)",
      ),
    ).toBe(false);
    expect(failures.heard(PLAINTEXT_UNRESOLVABLE)).toBe(false);
    expect(
      failures.heard(
        '[thrd:127.0.0.1:1/1]: 127.0.0.1:1/1: Connect to ipv4#127.0.0.1:1 failed: Connection refused (after 0ms in state CONNECT)',
      ),
    ).toBe(false);
    for (const line of logLines('timed-out-broker-paused')) failures.heard(line);
    expect(failures.allFailed).toBe(false);
    expect(new BootstrapFailures([]).allFailed).toBe(false);
  });

  it('normalizes the configured list: scheme, case, default port, repeats', () => {
    expect(bootstrapServersOf(' PLAINTEXT://B-1.Example:9092,b-1.example, b-2:9094 ,')).toEqual([
      'b-1.example:9092',
      'b-2:9094',
    ]);
  });
});
