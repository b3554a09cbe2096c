// Fetch jars from Maven Central with the ordinary client: a generated throwaway pom plus
// maven-dependency-plugin. Calls are serialized: two Maven runs writing ~/.m2 at once can
// corrupt a half-downloaded artifact.
import fs from 'node:fs';
import path from 'node:path';
import { mutex, requireTool, run } from './install.mjs';

const serial = mutex();

function requireMvn() {
  requireTool('mvn', ['-v'], 'mvn not found (need Apache Maven 3.6+ to fetch jars from Maven Central)');
}

// KAFKA_LAMBDA_STACK_M2 points Maven at another local repository (e.g. to measure a cold install).
const repoArgs = () =>
  process.env.KAFKA_LAMBDA_STACK_M2 ? [`-Dmaven.repo.local=${process.env.KAFKA_LAMBDA_STACK_M2}`] : [];

const dep = ({ groupId, artifactId, version, classifier, type }) =>
  `<dependency><groupId>${groupId}</groupId><artifactId>${artifactId}</artifactId><version>${version}</version>` +
  `${classifier ? `<classifier>${classifier}</classifier>` : ''}${type ? `<type>${type}</type>` : ''}</dependency>`;

/** Copy `deps` and their runtime dependencies (jars only) into `outDir`. */
export function copyDependencies(deps, outDir, logFile) {
  requireMvn();
  const work = path.join(path.dirname(outDir), '.pom');
  fs.mkdirSync(work, { recursive: true });
  fs.writeFileSync(
    path.join(work, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>kafka-lambda.stack</groupId><artifactId>fetch</artifactId><version>1</version><packaging>pom</packaging>
<dependencies>${deps.map(dep).join('\n')}</dependencies></project>\n`,
  );
  return serial(() =>
    run(
      'mvn',
      [
        '-B',
        '-q',
        ...repoArgs(),
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${outDir}`,
      ],
      {
        cwd: work,
        logFile,
      },
    ),
  );
}

/** Copy one artifact (no transitive dependencies), e.g. a distribution tar.gz. Returns its path. */
export async function copyArtifact(
  { groupId, artifactId, version, classifier, type = 'jar' },
  outDir,
  logFile,
) {
  requireMvn();
  fs.mkdirSync(outDir, { recursive: true }); // also the cwd: keeps Maven away from any pom.xml in ours
  const coords = [groupId, artifactId, version, type, classifier].filter(Boolean).join(':');
  await serial(() =>
    run(
      'mvn',
      ['-B', '-q', ...repoArgs(), 'dependency:copy', `-Dartifact=${coords}`, `-DoutputDirectory=${outDir}`],
      { cwd: outDir, logFile },
    ),
  );
  return path.join(outDir, `${artifactId}-${version}${classifier ? `-${classifier}` : ''}.${type}`);
}
