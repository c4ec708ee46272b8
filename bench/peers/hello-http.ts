// The peer of bench/serve.ts: the smallest useful HTTP server, `node:http` answering every request
// (after reading its body) with a small JSON document. Prints its URL on stdout.
import { createServer } from "node:http";

const BODY = JSON.stringify({ hello: "world" });

const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(BODY) }).end(BODY));
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  if (address && typeof address === "object") process.stdout.write(`hello serving at http://127.0.0.1:${address.port}\n`);
});
process.once("SIGTERM", () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
