import express, { type NextFunction, type Request, type Response } from "express";
import { openSessionLookup, peerSettings, stopOnSignals, type PublicProfile } from "./session-lookup.ts";

/**
 * Peer (c): the seeds' stack, Express 5 with a session-lookup middleware in front of the route,
 * default settings (ETag included), as a seed project ships it.
 */
const { port, file } = peerSettings();
const sessions = openSessionLookup(file);

interface AuthenticatedLocals {
  user: PublicProfile;
}

function requireSession(req: Request, res: Response<unknown, AuthenticatedLocals>, next: NextFunction) {
  const found = sessions.lookup(req.get("authorization"));
  if (!found.ok) {
    res.status(401).json({ error: { code: "UNAUTHORIZED", data: { reason: found.reason } } });
    return;
  }
  res.locals.user = found.profile;
  next();
}

const app = express();
app.get("/healthz", (_req, res) => {
  res.json({ status: "ok" });
});
app.get("/trpc/user.me", requireSession, (_req, res: Response<unknown, AuthenticatedLocals>) => {
  res.json({ result: { data: res.locals.user } });
});

const server = app.listen(port, "127.0.0.1");
stopOnSignals(() => {
  server.close();
  sessions.close();
});
