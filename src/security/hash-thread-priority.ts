import { pbkdf2 } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { promisify } from 'node:util';

/** The name libuv (1.45 and later, so every Node.js 24) gives its thread-pool threads on Linux. */
const WORKER_THREAD_NAME = 'libuv-worker';

export interface ThreadPriorityResult {
  /** Thread-pool threads whose nice value is now `nice`. */
  threads: number;
  /** Why nothing was changed, when nothing was. */
  skipped?: string;
}

/**
 * Lowers the CPU priority of libuv's thread pool, where bcrypt and argon2 hash, to `nice`
 * (1–19), so that the event loop wins the CPU whenever both want it. A sign-in flood then uses
 * every spare cycle for hashing but no longer takes the cycles that cheap requests (`me`,
 * `refreshSession`) need: on 2 cores, the event loop otherwise shares them with two hashing
 * threads and gets about two thirds of one core, and every request's latency grows with it.
 * When nothing else wants the CPU the hashing threads still get all of it (the scheduler gives
 * idle time to any nice value), so the sign-in throughput does not change.
 *
 * The pool also runs file-system calls, `dns.lookup` and zlib; they run at the same lower
 * priority, which only matters when the CPU is saturated.
 *
 * Linux only: the threads are found by name in /proc/self/task, and setpriority(2) on a thread
 * id changes that thread alone. Raising a nice value needs no privilege (nor CAP_SYS_NICE in a
 * container). Elsewhere, or with `nice` 0, nothing changes.
 */
export async function lowerThreadPoolPriority(nice: number): Promise<ThreadPriorityResult> {
  if (nice === 0) return { threads: 0, skipped: 'HASH_THREAD_NICE=0' };
  if (process.platform !== 'linux') return { threads: 0, skipped: `not on Linux (${process.platform})` };
  // libuv starts all its pool threads at the first piece of work it is given.
  await promisify(pbkdf2)('', '', 1, 1, 'sha256');
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return { threads: 0, skipped: '/proc/self/task is not readable' };
  }
  let threads = 0;
  for (const tid of tids) {
    let name: string;
    try {
      name = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
    } catch {
      continue; // the thread ended meanwhile
    }
    if (name !== WORKER_THREAD_NAME) continue;
    setPriority(Number(tid), nice);
    threads += 1;
  }
  return threads > 0 ? { threads } : { threads: 0, skipped: `no thread named ${WORKER_THREAD_NAME}` };
}

/** The nice value of each of this process's threads, by thread id (Linux; for tests and checks). */
export function threadNiceValues(): Map<number, { name: string; nice: number }> {
  const out = new Map<number, { name: string; nice: number }>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      // Fields after "(comm)": state is field 3, nice is field 19 (proc(5)).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const name = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
      out.set(Number(tid), { name, nice: Number(fields[16]) });
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}
