/** The mock's own API under /mock/*: mint login codes, inject faults, read stats, reset. */
import type { z } from "zod";
import { MOCK_ROUTE_PATHS, mintLoginCodeRequestSchema, mockFaultSchema } from "../protocol.ts";
import { MockRequestError } from "./types.ts";
import type { ControlRoute } from "./types.ts";

const loginRoute: ControlRoute = {
  path: MOCK_ROUTE_PATHS.login,
  counted: true,
  handlers: {
    POST(body, { state }) {
      const request = parseBody(mintLoginCodeRequestSchema, body ?? {});
      return { status: 200, body: state.mintLoginCode(request) };
    },
  },
};

const faultsRoute: ControlRoute = {
  path: MOCK_ROUTE_PATHS.faults,
  counted: false,
  handlers: {
    POST(body, { faults, wechatPaths }) {
      const fault = parseBody(mockFaultSchema, body);
      // Faults on a path nobody calls would wait forever: reject typos up front.
      if (!wechatPaths.includes(fault.path)) {
        throw new MockRequestError(400, "bad_request", `No WeChat route at ${fault.path}; faults apply to: ${wechatPaths.join(", ")}`);
      }
      return { status: 201, body: { queued: faults.add(fault), pending: faults.list() } };
    },
    GET(_body, { faults }) {
      return { status: 200, body: { pending: faults.list() } };
    },
    DELETE(_body, { faults }) {
      return { status: 200, body: { cleared: faults.clear() } };
    },
  },
};

export const CONTROL_ROUTES: readonly ControlRoute[] = [
  loginRoute,
  faultsRoute,
  {
    path: MOCK_ROUTE_PATHS.stats,
    counted: false,
    handlers: {
      GET(_body, { state, wechatPaths }) {
        return { status: 200, body: state.callCountsFor([...wechatPaths, ...countedControlPaths()]) };
      },
    },
  },
  {
    path: MOCK_ROUTE_PATHS.reset,
    counted: false,
    handlers: {
      POST(_body, { state, faults }) {
        state.reset();
        faults.clear();
        return { status: 200, body: { reset: true } };
      },
    },
  },
];

function countedControlPaths(): string[] {
  return CONTROL_ROUTES.filter((route) => route.counted).map((route) => route.path);
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message));
  throw new MockRequestError(400, "bad_request", `Invalid request body: ${problems.join("; ")}`);
}
