import http from "node:http";
import { openSessionLookup, peerSettings, stopOnSignals } from "./session-lookup.ts";

/** Peer (b): node:http + prepared better-sqlite3 statements, nothing else: the floor. */
const { port, file } = peerSettings();
const sessions = openSessionLookup(file);

const server = http.createServer((req, res) => {
  const path = req.url?.split("?", 1)[0];
  if (req.method === "GET" && path === "/healthz") {
    res.writeHead(200, { "content-type": "application/json" });
    return res.end('{"status":"ok"}');
  }
  if (req.method !== "GET" || path !== "/trpc/user.me") {
    res.writeHead(404, { "content-type": "application/json" });
    return res.end('{"error":"not found"}');
  }
  const found = sessions.lookup(req.headers.authorization);
  if (!found.ok) {
    res.writeHead(401, { "content-type": "application/json" });
    return res.end(JSON.stringify({ error: { code: "UNAUTHORIZED", data: { reason: found.reason } } }));
  }
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ result: { data: found.profile } }));
});

server.listen(port, "127.0.0.1");
stopOnSignals(() => {
  server.close();
  sessions.close();
});
