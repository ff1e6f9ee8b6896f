/**
 * pool's version. A constant rather than an import of deno.json, so that
 * `pool --version` loads nothing else; tests/layout_test.ts keeps the two equal.
 */
export const VERSION = "0.1.0";
