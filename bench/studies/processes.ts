/** N raw echo listeners as child processes (see threads-vs-processes.sh). */
const n = Number(process.argv[2] ?? 2);
const entry = new URL("./raw-echo.ts", import.meta.url).pathname;
for (let i = 0; i < n; i++) {
  Bun.spawn([process.execPath, entry], { env: { ...process.env, PORT: "7500" }, stdout: "ignore" });
}
setInterval(() => {}, 1000);
