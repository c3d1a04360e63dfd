import http from "node:http";
import { startMockWechat } from "@mp-auth/wechat/mock";
import { peerPort } from "./peer-port.ts";

/**
 * The project's mock WeChat behind a thin timing proxy, in a process of its own. The proxy notes,
 * per login code, how long the code2Session call took as the server saw it from this side: from
 * its request's arrival to the last byte of the answer. `GET /bench/code2session-timings` hands the
 * notes over (and forgets them); everything else is passed to the mock unchanged.
 */
const port = peerPort();
const mock = await startMockWechat({ host: "127.0.0.1", port: 0 });
const agent = new http.Agent({ keepAlive: true });
let timings: Record<string, number> = {};

const server = http.createServer((req, res) => {
  const arrived = performance.now();
  const url = new URL(req.url ?? "/", "http://localhost");
  if (url.pathname === "/bench/code2session-timings") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(timings));
    timings = {};
    return;
  }
  const code = url.pathname === "/sns/jscode2session" ? url.searchParams.get("js_code") : null;
  const upstream = http.request(
    { host: "127.0.0.1", port: mock.port, method: req.method, path: req.url, headers: req.headers, agent },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      res.on("finish", () => {
        if (code) timings[code] = performance.now() - arrived;
      });
    },
  );
  upstream.on("error", () => {
    res.writeHead(502);
    res.end();
  });
  req.pipe(upstream);
});

server.listen(port, "127.0.0.1", () => console.log(`timed mock WeChat on ${port}`));
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    server.close();
    void mock.close().then(() => process.exit(0));
  });
}
