// Every pinned version of the local stack, in one place. Bumping a value here changes the
// cache key of that part, so the next `up` installs the new version beside the old one
// (and prunes the old one once the new one is installed).

export const versions = Object.freeze({
  // Apache Kafka broker (KRaft). 4.x runs on Java 17 and needs no ZooKeeper.
  kafka: '4.1.1',
  scala: '2.13',
  // Kafka 4 logs through slf4j 2 -> log4j2; kafka-clients still pulls slf4j-api 1.7, so pin 2.x.
  log4j: '2.24.3',
  slf4j: '2.0.17',

  // Apicurio Registry. 3.0.x is the last line that runs on Java 17 (3.1+ is built for Java 21).
  apicurio: '3.0.9',

  // moto's server emulates AWS Secrets Manager.
  moto: '5.2.5',

  // AWS Lambda Runtime Interface Emulator, `go install`ed at this pseudo-version (it has no semver
  // release tags); its go.mod asks for Go 1.26.6, which an older Go 1.21+ fetches itself.
  rieModule: 'github.com/aws/aws-lambda-runtime-interface-emulator',
  rie: 'v0.0.0-20261030222936-bef5c4ba774d',

  // Jaeger all-in-one, built from the module proxy; cmd/jaeger at v1.75.0 is the Jaeger v2 binary.
  // v1.75.0 is the approved release (v1.76.0 is served, but not approved).
  jaegerModule: 'github.com/jaegertracing/jaeger',
  jaeger: 'v1.75.0',
});
