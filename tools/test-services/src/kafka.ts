/**
 * A real Apache Kafka broker for integration tests, without Docker: the broker jars come
 * from Maven Central (tools/test-services/kafka/pom.xml, cached per version), and one JVM
 * runs a KRaft combined broker+controller on loopback ports with data in a temp dir.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { ensureBinaries } from './binaries.js';
import { TestServiceError } from './errors.js';
import { findRepoRoot, freePorts, makeTempDir, removeDir, run, spawnService, tailFile, waitReady } from './process.js';
import type { StartedService } from './redis.js';

/** Broker version used by default; verified with kafkajs 2.2.4 (see tools/test-services/README.md). */
export const DEFAULT_KAFKA_VERSION = '3.9.1';

export interface StartKafkaOptions {
  /** Apache Kafka version (Maven `org.apache.kafka:kafka_2.13`); default GOIM_TEST_KAFKA_VERSION or 3.9.1. */
  version?: string;
  /** Where jars are cached; default GOIM_TEST_KAFKA_CACHE or ~/.cache/goim-ts/kafka-<version>. */
  cacheDir?: string;
  /** JVM heap limit (default 512m). */
  heap?: string;
  /** Milliseconds to wait until a kafkajs admin lists topics (default 120 s: a JVM on 2 busy cores is slow). */
  timeoutMs?: number;
}

export interface StartedKafka extends StartedService {
  /** `127.0.0.1:<port>` */
  readonly brokers: string;
}

/**
 * Directory holding the broker jars of `version`, fetched from Maven Central once
 * (`mvn dependency:copy-dependencies` into a scratch dir, then renamed, so a half-done
 * download is never used).
 */
export async function ensureKafkaJars(version = DEFAULT_KAFKA_VERSION, cacheDir?: string): Promise<string> {
  const dir = cacheDir ?? process.env.GOIM_TEST_KAFKA_CACHE ?? join(homedir(), '.cache', 'goim-ts', `kafka-${version}`);
  const marker = join(dir, '.complete');
  if (existsSync(marker)) return dir;
  const { mvn } = await ensureBinaries(['mvn', 'java']);
  const pom = join(findRepoRoot(), 'tools', 'test-services', 'kafka', 'pom.xml');
  const scratch = `${dir}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
  mkdirSync(scratch, { recursive: true });
  process.stderr.write(`test-services: fetching Apache Kafka ${version} jars from Maven Central into ${dir}\n`);
  try {
    await run(mvn!, ['-q', '-B', '-f', pom, 'dependency:copy-dependencies', `-Dkafka.version=${version}`, '-DincludeScope=runtime', `-DoutputDirectory=${scratch}`], {
      timeoutMs: 900_000,
    });
    if (!readdirSync(scratch).some((f) => f.startsWith(`kafka_2.13-${version}`))) {
      throw new TestServiceError('GOIM_ERR_TESTSVC_COMMAND_FAILED', `maven copied no kafka_2.13-${version} jar into ${scratch}`);
    }
    writeFileSync(join(scratch, '.complete'), `${version}\n`);
    if (existsSync(marker)) {
      // Another run finished first; keep its copy.
      rmSync(scratch, { recursive: true, force: true });
    } else {
      rmSync(dir, { recursive: true, force: true });
      renameSync(scratch, dir);
    }
  } catch (err) {
    rmSync(scratch, { recursive: true, force: true });
    throw err;
  }
  return dir;
}

function serverProperties(dataDir: string, port: number, controllerPort: number): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${dataDir}`,
    // Tests may produce to a topic they did not create; createTopic() is there for explicit partition counts.
    'auto.create.topics.enable=true',
    'num.partitions=1',
    'default.replication.factor=1',
    'offsets.topic.replication.factor=1',
    // One partition for the group-offsets topic: the first consumer group is ready much sooner.
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=1',
    // No 3 s wait before the first rebalance of a new group.
    'group.initial.rebalance.delay.ms=0',
    'num.network.threads=2',
    'num.io.threads=2',
    'log.retention.check.interval.ms=600000',
    '',
  ].join('\n');
}

function log4jProperties(logFile: string): string {
  return [
    'log4j.rootLogger=WARN, file',
    'log4j.logger.kafka.server.KafkaRaftServer=INFO',
    'log4j.appender.file=org.apache.log4j.FileAppender',
    `log4j.appender.file.File=${logFile}`,
    'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
    '',
  ].join('\n');
}

/** Kafka's cluster id format: 16 random bytes, base64url without padding. */
function clusterId(): string {
  return randomBytes(16).toString('base64url');
}

/** Starts a single-node KRaft Kafka broker on free loopback ports → GOIM_TEST_KAFKA_BROKERS. */
export async function startKafka(opts: StartKafkaOptions = {}): Promise<StartedKafka> {
  const version = opts.version ?? process.env.GOIM_TEST_KAFKA_VERSION ?? DEFAULT_KAFKA_VERSION;
  const [{ java }, jars] = await Promise.all([ensureBinaries(['java']), ensureKafkaJars(version, opts.cacheDir)]);
  const dir = makeTempDir('kafka');
  const [port, controllerPort] = await freePorts(2);
  const dataDir = join(dir, 'data');
  const props = join(dir, 'server.properties');
  const log4j = join(dir, 'log4j.properties');
  const brokerLog = join(dir, 'broker.log');
  writeFileSync(props, serverProperties(dataDir, port!, controllerPort!));
  writeFileSync(log4j, log4jProperties(brokerLog));
  const jvm = [
    `-Xmx${opts.heap ?? '512m'}`,
    '-Xms128m',
    // Serial GC and C1 only: fewer threads and a faster start on a small, shared machine.
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=file:${log4j}`,
    `-Dkafka.logs.dir=${dir}`,
    '-cp',
    `${jars}/*`,
  ];
  try {
    await run(java!, [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', props], { timeoutMs: 120_000 });
  } catch (err) {
    removeDir(dir);
    throw err;
  }
  const proc = spawnService('kafka', java!, [...jvm, 'kafka.Kafka', props], { cwd: dir, logFile: join(dir, 'stdout.log') });
  const brokers = `127.0.0.1:${port}`;
  const stop = async () => {
    await proc.stop(10_000);
    removeDir(dir);
  };
  const kafka = new Kafka({ clientId: 'goim-test-services', brokers: [brokers], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 1_000 });
  try {
    await waitReady(
      proc,
      'a kafkajs admin to list topics',
      async () => {
        const admin = kafka.admin();
        try {
          await admin.connect();
          await admin.listTopics();
          // Asking for a group makes the broker create __consumer_offsets now, so the
          // first consumer group of a test joins without coordinator-not-available retries.
          await admin.describeGroups(['goim-test-services-warmup']);
          return true;
        } finally {
          await admin.disconnect().catch(() => undefined);
        }
      },
      opts.timeoutMs ?? 120_000,
      250,
    );
  } catch (err) {
    if (err instanceof TestServiceError) err.message += `\nbroker.log:\n${tailFile(brokerLog)}`;
    await stop();
    throw err;
  }
  return { brokers, env: { GOIM_TEST_KAFKA_BROKERS: brokers }, stop };
}

/**
 * Creates `topic` with `partitions` partitions (replication 1) and waits for its leaders;
 * a topic that already exists is left as it is. `brokers` is a comma-separated list, as in
 * GOIM_TEST_KAFKA_BROKERS.
 */
export async function createTopic(brokers: string, topic: string, partitions = 1): Promise<void> {
  if (!topic || !Number.isInteger(partitions) || partitions < 1) {
    throw new TestServiceError('GOIM_ERR_TESTSVC_BAD_ARGUMENT', `createTopic: need a topic name and partitions >= 1 (got ${JSON.stringify(topic)}, ${partitions})`);
  }
  const kafka = new Kafka({ clientId: 'goim-test-services', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}
