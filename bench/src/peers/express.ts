import type { NextFunction, Request, Response } from "express";
import { serveExpressPeer, type AuthenticatedLocals } from "./express-app.ts";
import { openSessionLookup, peerSettings } from "./session-lookup.ts";

/**
 * Peer (c): the seeds' stack, Express 5 with a session-lookup middleware in front of the route,
 * default settings (ETag included), as a seed project ships it.
 */
const { port, file } = peerSettings();
const sessions = openSessionLookup(file);

function requireSession(req: Request, res: Response<unknown, AuthenticatedLocals>, next: NextFunction) {
  const found = sessions.lookup(req.get("authorization"));
  if (!found.ok) {
    res.status(401).json({ error: { code: "UNAUTHORIZED", data: { reason: found.reason } } });
    return;
  }
  res.locals.user = found.profile;
  next();
}

serveExpressPeer(port, requireSession, () => sessions.close());
