import express, { type NextFunction, type Request, type Response } from "express";
import { stopOnSignals, type PublicProfile } from "./session-lookup.ts";

export interface AuthenticatedLocals {
  user: PublicProfile;
}

export type SessionMiddleware = (
  req: Request,
  res: Response<unknown, AuthenticatedLocals>,
  next: NextFunction,
) => void | Promise<void>;

/**
 * The Express 5 app both Express peers serve, default settings (ETag included) as a seed project
 * ships it: /healthz, and user.me behind the peer's own session middleware. Listens on 127.0.0.1
 * and stops on SIGINT / SIGTERM, then runs `close`.
 */
export function serveExpressPeer(port: number, requireSession: SessionMiddleware, close: () => void): void {
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
    close();
  });
}
