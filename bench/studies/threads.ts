/** N raw echo listeners as Worker threads of one process (see threads-vs-processes.sh). */
import { Worker } from "node:worker_threads";

const n = Number(process.argv[2] ?? 2);
for (let i = 0; i < n; i++) {
  new Worker(new URL("./raw-echo.ts", import.meta.url), { workerData: { port: 7500 } });
}
setInterval(() => {}, 1000);
