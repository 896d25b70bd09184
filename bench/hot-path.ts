#!/usr/bin/env bun
/** Kept so `bun bench/hot-path.ts` still works: the study lives in bench/studies/hot-path.ts. */
await import("./studies/hot-path.ts");

export {};
