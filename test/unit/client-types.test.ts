import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

async function typecheck(file: string): Promise<{ code: number; output: string }> {
  const args = [
    '--noEmit',
    '--strict',
    '--module',
    'NodeNext',
    '--moduleResolution',
    'NodeNext',
    '--target',
    'ES2022',
    '--skipLibCheck',
    file,
  ];
  return run('node_modules/.bin/tsc', args).then(
    (r) => ({ code: 0, output: r.stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, output: e.stdout }),
  );
}

describe('generated client types', () => {
  it('make reading tokens from a non-success union member a compile error', async () => {
    const result = await typecheck('test/typecheck/union-narrowing.example.ts');
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(
      /union-narrowing\.example\.ts\(8,\d+\): error TS2339: Property 'tokens' does not exist/,
    );
  });

  it('accept the same code written against the right member', async () => {
    const result = await typecheck('test/typecheck/union-narrowing.correct.ts');
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });
});
