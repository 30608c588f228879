/**
 * A closer look at one scenario of a BENCH_CPU_PROF=1 run: self time and inclusive time per
 * function in the scenario's window, with the callers of the costliest ones, in µs a request.
 * `tsx bench/profile-window.ts bench/results/profiles/X.cpuprofile [scenario] [top]`
 * (the windows come from X.cpuprofile.windows.json, which bench/run.ts writes beside it).
 */
import { readFileSync } from 'node:fs';
import type { CpuProfile } from './profile.js';

const [file, scenario = 'signIn', topText = '40'] = process.argv.slice(2);
if (!file) throw new Error('usage: tsx bench/profile-window.ts FILE.cpuprofile [scenario] [top]');
const top = Number(topText);
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const windows = JSON.parse(readFileSync(`${file}.windows.json`, 'utf8')) as Array<{
  name: string;
  startUs: number;
  endUs: number;
  requests: number;
}>;
const window = windows.find((w) => w.name === scenario);
if (!window) throw new Error(`no window ${scenario} in ${file}.windows.json`);

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const name = (id: number) => {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const where = url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, '');
  return `${functionName || '(anonymous)'} ${where}${url ? `:${lineNumber + 1}` : ''}`;
};

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
const callers = new Map<string, Map<string, number>>();
let busy = 0;
let t = profile.startTime;
const times = profile.timeDeltas.map((d) => (t += d));
for (let i = 0; i < profile.samples.length; i += 1) {
  const at = times[i]!;
  if (at < window.startUs || at > window.endUs) continue;
  const id = profile.samples[i]!;
  if (byId.get(id)!.callFrame.functionName === '(idle)') continue;
  const us = (times[i + 1] ?? at) - at;
  busy += us;
  const leaf = name(id);
  self.set(leaf, (self.get(leaf) ?? 0) + us);
  const seen = new Set<string>();
  for (let at2: number | undefined = id; at2 !== undefined; at2 = parent.get(at2)) {
    const fn = name(at2);
    if (seen.has(fn)) continue;
    seen.add(fn);
    inclusive.set(fn, (inclusive.get(fn) ?? 0) + us);
    const up = parent.get(at2);
    if (up !== undefined) {
      const byCaller = callers.get(fn) ?? new Map<string, number>();
      byCaller.set(name(up), (byCaller.get(name(up)) ?? 0) + us);
      callers.set(fn, byCaller);
    }
  }
}
const per = (us: number) => Math.round(us / Math.max(1, window.requests));
console.log(`${scenario}: ${window.requests} requests, busy ${per(busy)} µs a request`);
const table = (title: string, map: Map<string, number>, withCallers: boolean) => {
  console.log(`\n${title}`);
  for (const [fn, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${String(per(us)).padStart(7)}  ${fn}`);
    if (withCallers) {
      const cs = [...(callers.get(fn) ?? [])].sort((a, b) => b[1] - a[1]).slice(0, 3);
      for (const [c, cu] of cs) console.log(`           ← ${per(cu)} ${c}`);
    }
  }
};
table('self time (µs/request), with callers', self, true);
table('inclusive time (µs/request)', inclusive, false);
