// A Node.js `net` echo server (pipe each socket to itself, which handles
// backpressure for us): a baseline for `npm run bench:compare`.
//
// Usage: node node-echo.mjs PORT [HOST]   (prints "listening PORT" once bound)
import net from "node:net";

const [port = "0", host = "127.0.0.1"] = process.argv.slice(2);
const server = net.createServer({ noDelay: true }, (socket) => {
  socket.on("error", () => socket.destroy());
  socket.pipe(socket);
});
server.listen(Number(port), host, () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
