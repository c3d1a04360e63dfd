import { initTRPC, TRPCError } from "@trpc/server";
import { fastifyTRPCPlugin, type CreateFastifyContextOptions } from "@trpc/server/adapters/fastify";
import fastify from "fastify";
import { openSessionLookup, peerSettings, stopOnSignals } from "./session-lookup.ts";

/**
 * Peer (d): stock tRPC 11 on its fastify adapter, with the same better-sqlite3 lookup (no Prisma)
 * in a middleware. What separates it from the raw peer is tRPC's own cost: the adapter turns each
 * request into a fetch-API Request and the answer back.
 */
const { port, file } = peerSettings();
const sessions = openSessionLookup(file);

const createContext = ({ req }: CreateFastifyContextOptions) => ({ authorization: req.headers.authorization });
const t = initTRPC.context<typeof createContext>().create();

const protectedProcedure = t.procedure.use(({ ctx, next }) => {
  const found = sessions.lookup(ctx.authorization);
  if (!found.ok) throw new TRPCError({ code: "UNAUTHORIZED", message: found.reason });
  return next({ ctx: { user: found.profile } });
});

const router = t.router({
  user: t.router({
    me: protectedProcedure.query(({ ctx }) => ctx.user),
  }),
});

const app = fastify({ logger: false });
app.get("/healthz", async () => ({ status: "ok" }));
await app.register(fastifyTRPCPlugin, { prefix: "/trpc", trpcOptions: { router, createContext } });
await app.listen({ port, host: "127.0.0.1" });
stopOnSignals(() => {
  void app.close();
  sessions.close();
});
