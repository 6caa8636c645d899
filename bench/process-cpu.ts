// CPU time of this process and of the DynamoDB Local JVM, to show which side a run spends on.
import { readdirSync, readFileSync } from 'node:fs';

const ticksPerSecond = 100; // USER_HZ on Linux

/** utime + stime of a process in ms, from /proc; NaN where /proc is not there. */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which sits in parentheses and may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return Number.NaN;
  }
}

/**
 * The pid of the DynamoDB Local JVM serving `port`, found by its command line: `-port <port>`, or,
 * behind the local stack's signature-checking proxy, `-Dclaims.dynamodb.endpoint-port=<port>`.
 */
export function dynamoDbLocalPid(port: string): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const at = args.indexOf('-port');
      const serves =
        (at >= 0 && args[at + 1] === port) || args.includes(`-Dclaims.dynamodb.endpoint-port=${port}`);
      if (serves && args.some((a) => a.endsWith('DynamoDBLocal.jar'))) return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined;
}

/** Starts a CPU meter for this process and, if found, the JVM; `stop()` returns ms used since. */
export function cpuMeter(jvmPid: number | undefined): () => { nodeMs: number; jvmMs: number } {
  const node0 = process.cpuUsage();
  const jvm0 = jvmPid === undefined ? Number.NaN : processCpuMs(jvmPid);
  return () => {
    const node = process.cpuUsage(node0);
    return {
      nodeMs: (node.user + node.system) / 1000,
      jvmMs: jvmPid === undefined ? Number.NaN : processCpuMs(jvmPid) - jvm0,
    };
  };
}
