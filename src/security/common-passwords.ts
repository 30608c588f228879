import { createRequire } from 'node:module';

/**
 * Mozilla's list of common passwords (fxa-common-password-list), as a Set. The package's own
 * `test` is `indexOf` on its array of 50,000 entries: 30 µs a call warm, and in the sign-up
 * profile under load 0.4 ms (two calls a sign-up, the array's strings fall out of the caches
 * between sign-ups). Here the same list, decoded with the package's own decoder and files,
 * answers in a hash look-up; it is built at the first check, not at start-up.
 */
let list: Set<string> | null = null;

function load(): Set<string> {
  // Resolved from the package, as its own require would: the decoder is its dependency, not ours.
  const fromPackage = createRequire(createRequire(import.meta.url).resolve('fxa-common-password-list'));
  const encoded = fromPackage('./encoded-passwords') as string;
  const { Decoder } = (fromPackage('incremental-encoder') as { default: { Decoder: new () => Decoder } })
    .default;
  return new Set(new Decoder().decode(encoded.split('\n')));
}

interface Decoder {
  decode(lines: string[]): string[];
}

export function isCommonPassword(password: string): boolean {
  list ??= load();
  return list.has(password);
}

/** The whole list (the test that holds it equal to the package's reads it). */
export function commonPasswords(): ReadonlySet<string> {
  list ??= load();
  return list;
}
