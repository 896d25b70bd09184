/**
 * What each module costs echod's start-up to load: imports the modules
 * named on the command line one after the other in this fresh process and
 * prints the milliseconds each took (a module's cost includes whatever it
 * loads that the ones before it had not). Run it twice: the first run also
 * fills Bun's transpiler cache.
 *
 *   bun bench/studies/import-cost.ts yargs pino pino-pretty prom-client yaml
 */
export {};

const modules = process.argv.slice(2);
if (modules.length === 0) {
  console.error("usage: bun bench/studies/import-cost.ts MODULE...");
  process.exit(2);
}
for (const name of modules) {
  const started = performance.now();
  await import(name);
  console.log(`${name}: ${(performance.now() - started).toFixed(1)} ms`);
}
