/**
 * The mock's own API under /mock/*: mint login and phone codes, encrypt user data, move the clock,
 * inject faults, read stats, reset.
 */
import type { z } from "zod";
import { encryptUserData, rawDataSignature } from "../../crypto.ts";
import { isWechatError } from "../../errors.ts";
import {
  MOCK_ROUTE_PATHS,
  advanceClockRequestSchema,
  encryptForUserRequestSchema,
  mintLoginCodeRequestSchema,
  mintPhoneCodeRequestSchema,
  mockFaultSchema,
} from "../protocol.ts";
import type { MockAppState, MockState } from "../state.ts";
import { MockRequestError } from "./types.ts";
import type { ControlRoute, MockContext } from "./types.ts";

const loginRoute: ControlRoute = {
  path: MOCK_ROUTE_PATHS.login,
  counted: true,
  handlers: {
    POST(body, { state }) {
      const request = parseBody(mintLoginCodeRequestSchema, body ?? {});
      return { status: 200, body: appOf(state, request.appid).mintLoginCode(request) };
    },
  },
};

/** Plays the getPhoneNumber button: a single-use code for getuserphonenumber. */
const phoneRoute: ControlRoute = {
  path: MOCK_ROUTE_PATHS.phone,
  counted: true,
  handlers: {
    POST(body, { state }) {
      const request = parseBody(mintPhoneCodeRequestSchema, body ?? {});
      return { status: 200, body: appOf(state, request.appid).phoneCodes.mint(request) };
    },
  },
};

/** Plays the legacy getPhoneNumber / getUserInfo button: data encrypted with the user's session_key. */
const encryptedDataRoute: ControlRoute = {
  path: MOCK_ROUTE_PATHS.encryptedData,
  counted: true,
  handlers: {
    POST(body, { state, config }) {
      const request = parseBody(encryptForUserRequestSchema, body);
      const app = appOf(state, request.appid);
      const sessionKey = request.sessionKey ?? app.currentSessionKey(request.openid);
      if (sessionKey === undefined) {
        throw new MockRequestError(
          404,
          "unknown_user",
          `The mock knows no user ${request.openid} in app ${app.appid}: mint a login code for it first, or pass sessionKey`,
        );
      }
      // WeChat puts the watermark last, after the data's own fields.
      const { watermark: _ignored, ...fields } = request.data;
      const watermark = {
        timestamp: request.watermark?.timestamp ?? Math.floor(config.now() / 1000),
        appid: request.watermark?.appid ?? app.appid,
      };
      const rawData = JSON.stringify(fields);
      let encrypted;
      try {
        encrypted = encryptUserData({ data: { ...fields, watermark }, sessionKey });
      } catch (error) {
        if (isWechatError(error)) throw new MockRequestError(400, "bad_request", error.message);
        throw error;
      }
      return { status: 200, body: { ...encrypted, rawData, signature: rawDataSignature(rawData, sessionKey) } };
    },
  },
};

/** Moves the mock's clock forward, for tests in another process than the mock. */
const clockRoute: ControlRoute = {
  path: MOCK_ROUTE_PATHS.clock,
  counted: false,
  handlers: {
    POST(body, context) {
      const { advanceMs } = parseBody(advanceClockRequestSchema, body);
      context.clock.advance(advanceMs);
      return { status: 200, body: clockState(context) };
    },
    GET(_body, context) {
      return { status: 200, body: clockState(context) };
    },
  },
};

function clockState({ clock }: MockContext): { now: number; offsetMs: number } {
  return { now: clock.now(), offsetMs: clock.offset };
}

const faultsRoute: ControlRoute = {
  path: MOCK_ROUTE_PATHS.faults,
  counted: false,
  handlers: {
    POST(body, { faults, wechatPaths }) {
      const fault = parseBody(mockFaultSchema, body);
      // Faults on a path nobody calls would wait forever: reject typos up front.
      if (!wechatPaths.includes(fault.path)) {
        throw new MockRequestError(
          400,
          "bad_request",
          `No WeChat route at ${fault.path}; faults apply to: ${wechatPaths.join(", ")}`,
        );
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
  phoneRoute,
  encryptedDataRoute,
  clockRoute,
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
      POST(_body, { state, faults, clock }) {
        state.reset();
        faults.clear();
        clock.reset();
        return { status: 200, body: { reset: true } };
      },
    },
  },
];

function countedControlPaths(): string[] {
  return CONTROL_ROUTES.filter((route) => route.counted).map((route) => route.path);
}

/** The app a /mock/* request names, or the mock's first; an appid the mock does not serve is a 400. */
function appOf(state: MockState, appid: string | undefined): MockAppState {
  const appids = state.appids();
  const app = state.app(appid ?? appids[0]!);
  if (app === undefined) {
    throw new MockRequestError(400, "unknown_app", `The mock serves no app ${appid}; it serves ${appids.join(", ")}`);
  }
  return app;
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) =>
    issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message,
  );
  throw new MockRequestError(400, "bad_request", `Invalid request body: ${problems.join("; ")}`);
}
