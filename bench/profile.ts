/**
 * Summarises a V8 `.cpuprofile` (written by `node --cpu-prof`): where the server's JavaScript
 * thread spent its samples, by function and by package. `npm run bench` calls it when
 * BENCH_CPU_PROF=1; it also runs on its own: `tsx bench/profile.ts FILE.cpuprofile`.
 */
import { readFileSync } from 'node:fs';

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  file: string;
  seconds: number;
  samples: number;
  /** Share of all samples that V8 saw as idle (see bucketOf). */
  idlePercent: number;
  /** Share of the busy (non-idle) samples by bucket: a package, node's internals, GC, V8's pseudo-frames. */
  byPackage: Array<{ bucket: string; percent: number }>;
  /** Functions with the most self time, in % of the busy samples. */
  topFunctions: Array<{ fn: string; where: string; percent: number }>;
}

/**
 * `(idle)` is time V8 saw no JavaScript while node waited in or serviced its event loop: true idle
 * AND native work done outside JS (socket reads and writes, on loopback including the TCP stack).
 */
function bucketOf(url: string, functionName: string): string {
  if (!url) {
    if (functionName.startsWith('(')) return functionName;
    return '(native)';
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node (internal)';
  if (url.includes('/dist/src/') || url.includes('/src/')) return 'plinto (own code)';
  return url;
}

const short = (url: string) => url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/');

export function summariseProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfSamples = new Map<number, number>();
  for (const id of profile.samples) selfSamples.set(id, (selfSamples.get(id) ?? 0) + 1);
  const total = profile.samples.length;
  const idleIds = new Set(
    profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id),
  );
  const idle = profile.samples.filter((id) => idleIds.has(id)).length;
  const busy = Math.max(1, total - idle);
  const percent = (n: number) => Math.round((n / busy) * 1000) / 10;

  const buckets = new Map<string, number>();
  const functions = new Map<string, { fn: string; where: string; count: number }>();
  for (const [id, count] of selfSamples) {
    if (idleIds.has(id)) continue;
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const bucket = bucketOf(url, functionName);
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + count);
    const key = `${functionName}@${url}:${lineNumber}`;
    const entry = functions.get(key) ?? {
      fn: functionName || '(anonymous)',
      where: url ? `${short(url)}:${lineNumber + 1}` : '',
      count: 0,
    };
    entry.count += count;
    functions.set(key, entry);
  }
  return {
    file,
    seconds: Math.round((profile.endTime - profile.startTime) / 1e5) / 10,
    samples: total,
    idlePercent: Math.round((idle / total) * 1000) / 10,
    byPackage: [...buckets]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([bucket, count]) => ({ bucket, percent: percent(count) })),
    topFunctions: [...functions.values()]
      .sort((a, b) => b.count - a.count)
      .slice(0, top)
      .map(({ fn, where, count }) => ({ fn, where, percent: percent(count) })),
  };
}

export interface WindowSummary {
  name: string;
  requests: number;
  /** JS-thread CPU in the window per request (all busy samples), µs. */
  busyUsPerRequest: number;
  /**
   * Busy time per request by the innermost Plinto frame on the stack (file and function), or by
   * the leaf's package where no Plinto frame is on the stack (a library's async continuation).
   */
  byPlintoFrame: Array<{ frame: string; usPerRequest: number }>;
}

/**
 * The samples of one scenario (a window of the monotonic clock that V8's profile and
 * process.hrtime share, in µs), attributed per request to the innermost Plinto function.
 */
export function summariseWindow(
  file: string,
  windows: Array<{ name: string; startUs: number; endUs: number; requests: number }>,
  top = 20,
): WindowSummary[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const labelOf = new Map<number, string>();
  const label = (id: number): string => {
    const known = labelOf.get(id);
    if (known) return known;
    let found: string | null = null;
    for (let at: number | undefined = id; at !== undefined && !found; at = parent.get(at)) {
      const { url, functionName, lineNumber } = byId.get(at)!.callFrame;
      if (url.includes('/dist/src/') && !url.includes('node_modules')) {
        found = `${url.replace(/^.*\/dist\/src\//, '')}:${lineNumber + 1} ${functionName || '(anonymous)'}`;
      }
    }
    const leaf = byId.get(id)!.callFrame;
    const result = found ?? `[no Plinto frame] ${bucketOf(leaf.url, leaf.functionName)}`;
    labelOf.set(id, result);
    return result;
  };
  const times: number[] = [];
  let t = profile.startTime;
  for (const delta of profile.timeDeltas) {
    t += delta;
    times.push(t);
  }
  return windows.map(({ name, startUs, endUs, requests }) => {
    const byLabel = new Map<string, number>();
    let busyUs = 0;
    for (let i = 0; i < profile.samples.length; i += 1) {
      const at = times[i]!;
      if (at < startUs || at > endUs) continue;
      const id = profile.samples[i]!;
      const { functionName } = byId.get(id)!.callFrame;
      if (functionName === '(idle)') continue;
      // A sample stands for the time until the next one.
      const us = (times[i + 1] ?? at) - at;
      busyUs += us;
      const key = label(id);
      byLabel.set(key, (byLabel.get(key) ?? 0) + us);
    }
    const per = (us: number) => Math.round(us / Math.max(1, requests));
    return {
      name,
      requests,
      busyUsPerRequest: per(busyUs),
      byPlintoFrame: [...byLabel]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([frame, us]) => ({ frame, usPerRequest: per(us) })),
    };
  });
}

export function printWindows(windows: WindowSummary[]): void {
  for (const w of windows) {
    console.log(
      `\n${w.name}: ${w.requests} requests, JS thread busy ${w.busyUsPerRequest} µs a request (profiler's count), by innermost Plinto frame:`,
    );
    console.table(w.byPlintoFrame.map(({ frame, usPerRequest }) => ({ frame, 'µs/req': usPerRequest })));
  }
}

export function printProfile(summary: ProfileSummary): void {
  console.log(
    `\nCPU profile of the server's JS thread: ${summary.file} (${summary.seconds} s, ${summary.samples} samples, ` +
      `${summary.idlePercent}% idle: waiting, or native I/O outside JavaScript). Shares of the busy samples:`,
  );
  console.table(
    summary.byPackage.map(({ bucket, percent }) => ({ 'where (self time)': bucket, '% busy': percent })),
  );
  console.table(
    summary.topFunctions.map(({ fn, where, percent }) => ({ function: fn, where, '% busy': percent })),
  );
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''))) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: tsx bench/profile.ts FILE.cpuprofile');
    process.exit(2);
  }
  printProfile(summariseProfile(file));
}
