import type http from "node:http";
import type { Duplex } from "node:stream";

/** The response a connection was given last, if any (see lastResponses). */
export type LastResponseOf = (connection: Duplex) => http.ServerResponse | undefined;

const trackers = new WeakMap<http.Server, LastResponseOf>();

/**
 * For each connection of `server`, the response to its latest request. Node answers pipelined
 * requests in order, and a response counts as finished (`writableFinished`, then "close") only once
 * its bytes went to the socket: when the last one has finished, every earlier one on that
 * connection has too. So the last response alone tells whether a connection is still answering, and
 * waiting for its "close" waits for all of them.
 *
 * One WeakMap entry per connection, overwritten per request: no set of responses to add to and
 * delete from, no "close" listener per response (about 4% of a cached user.me's CPU in the two
 * modules that used them: the shutdown drain and the HTTP bounds). Shared by every caller for the same
 * server: one "request" listener.
 */
export function lastResponses(server: http.Server): LastResponseOf {
  let lastResponseOf = trackers.get(server);
  if (!lastResponseOf) {
    const last = new WeakMap<Duplex, http.ServerResponse>();
    // Prepended, so it is known before any listener of the application answers.
    server.prependListener("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
      last.set(req.socket, res);
    });
    lastResponseOf = (connection) => last.get(connection);
    trackers.set(server, lastResponseOf);
  }
  return lastResponseOf;
}
