import { AVATAR_UPLOAD_FIELD, AVATAR_UPLOAD_PATH, readErrorData, type ClientAction } from "@mp-auth/contract";
import { isSessionError, TaroRequestError, type TaroRequestErrorKind } from "@mp-auth/taro-link";

/**
 * Avatar upload to apps/server's `POST /uploads/avatar` (plain HTTP multipart, not tRPC): the
 * chooseAvatar button (or chooseImage on H5) gives a local temporary file that only exists on this
 * device, so it is uploaded first and the returned URL is then saved with user.updateProfile.
 * No Taro import: the caller passes Taro.uploadFile and the session, so tests use fakes.
 *
 * Three parts, so that moving the upload into taro-link is a small change:
 * - sendOnce: one Taro.uploadFile, its answer read into a URL or an error the link would give
 *   (a TaroRequestError for no usable answer, `data` in the contract's shape for a refusal);
 * - sendWithRelogin: the session rules (ensure a session, one relogin and one resend on a session
 *   refusal). It is the only copy of the link's rules in the mini-program, and goes away when the
 *   link runs authenticated requests itself;
 * - uploadAvatarFile: the two put together, what the page calls.
 */

/** wx.uploadFile's default is 60 s; an avatar of at most 2 MB that takes longer will not make it. */
const AVATAR_UPLOAD_TIMEOUT_MS = 30_000;

/**
 * The link's kind for "an answer came, but not one we can read". TEMPORARY cast: the link renames
 * "bad-response" to "bad_response" (issue 9); once that lands, write the literal without the cast.
 */
const BAD_RESPONSE = "bad_response" as string as TaroRequestErrorKind;

/**
 * The server's base URL from the tRPC endpoint: the endpoint without its `/trpc` suffix
 * ("https://api.example.com/trpc" -> "https://api.example.com", a path prefix such as
 * "https://example.com/api/trpc" -> "https://example.com/api"). Both live on the same server.
 */
export function serverBaseUrlFromApiUrl(apiUrl: string): string {
  const withoutQuery = apiUrl.trim().replace(/[?#].*$/, "");
  return withoutQuery.replace(/\/+$/, "").replace(/\/trpc$/, "");
}

export function avatarUploadUrl(apiUrl: string): string {
  return `${serverBaseUrlFromApiUrl(apiUrl)}${AVATAR_UPLOAD_PATH}`;
}

/**
 * The server refused the upload. `data` has the contract's fields (reason, action, code,
 * httpStatus), so taro-link's describeError and isSessionError read it like any API error.
 */
export class AvatarUploadError extends Error {
  readonly data: { reason?: string; action: ClientAction; code?: string; httpStatus: number };

  constructor(message: string, data: AvatarUploadError["data"]) {
    super(message);
    this.name = "AvatarUploadError";
    this.data = data;
    // Keeps `instanceof` working when DevTools down-levels classes to ES5 on upload.
    Object.setPrototypeOf(this, AvatarUploadError.prototype);
  }
}

/**
 * Reads the server's answer. wx.uploadFile calls `success` for every HTTP status and always gives
 * the body as a string, so the status decides and the text is parsed here. Accepts the route's
 * `{ url }` | `{ error: { message, reason } }` and the contract's envelope
 * (`{ error: { message, code, data } }`), and `{ result: { data: { url } } }` as the tRPC mutation
 * user.uploadAvatar will answer.
 */
export function parseAvatarUploadResponse(statusCode: number, data: unknown): string {
  const body = parseBody(data);
  if (statusCode >= 200 && statusCode < 300) {
    const result = (body?.result as { data?: { url?: unknown } } | undefined)?.data;
    const url = result?.url ?? body?.url;
    if (typeof url === "string" && /^https?:\/\/\S+$/.test(url)) return url;
    throw new TaroRequestError(BAD_RESPONSE, `Avatar upload answered HTTP ${statusCode} without a URL`, statusCode);
  }
  const error = body?.error as { message?: unknown; reason?: unknown } | undefined;
  if (!error) {
    // A gateway's HTML page or an empty body: not our server's answer (except a bare 401).
    if (statusCode === 401) {
      throw new AvatarUploadError("Avatar upload answered HTTP 401", {
        reason: "NO_TOKEN",
        action: "relogin",
        code: "UNAUTHORIZED",
        httpStatus: statusCode,
      });
    }
    throw new TaroRequestError(BAD_RESPONSE, `Avatar upload answered HTTP ${statusCode} without JSON`, statusCode);
  }
  const envelope = readErrorData(error);
  const reason = envelope.reason ?? (typeof error.reason === "string" && error.reason ? error.reason : undefined);
  const message = typeof error.message === "string" ? error.message : `Avatar upload answered HTTP ${statusCode}`;
  // Without the contract's action (the route's older shape): 401 relogs in, 5xx may pass later.
  const action: ClientAction =
    envelope.action ?? (statusCode === 401 ? "relogin" : statusCode >= 500 ? "retry" : "show");
  const code = envelope.code ?? (statusCode === 401 ? "UNAUTHORIZED" : undefined);
  throw new AvatarUploadError(message, {
    ...(reason === undefined ? {} : { reason }),
    action,
    ...(code === undefined ? {} : { code }),
    httpStatus: statusCode,
  });
}

function parseBody(data: unknown): Record<string, unknown> | undefined {
  let parsed: unknown = data;
  if (typeof data === "string") {
    try {
      parsed = JSON.parse(data);
    } catch {
      return undefined;
    }
  }
  return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
}

/** The slice of Taro.uploadFile used here. */
export type UploadFile = (options: {
  url: string;
  filePath: string;
  name: string;
  header: Record<string, string>;
  timeout: number;
}) => Promise<{ statusCode: number; data: unknown }>;

/** taro-link's session (apiSession): the slice the relogin rules need. */
interface UploadSession {
  ensureSession: () => Promise<unknown>;
  getToken: () => string | null;
  login: () => Promise<unknown>;
}

export interface AvatarUploadDeps {
  uploadUrl: string;
  uploadFile: UploadFile;
  session: UploadSession;
}

/** Uploads the file and resolves to its URL (see sendWithRelogin for the session rules). */
export function uploadAvatarFile(filePath: string, deps: AvatarUploadDeps): Promise<string> {
  return sendWithRelogin(deps.session, (token) => sendOnce(filePath, token, deps));
}

/**
 * ---- The link's session rules, for a request outside tRPC. TO BE REPLACED by taro-link's own
 * authenticated request (issue 9), which applies the same rules to any request. ----
 *
 * Ensures a session, sends with its token; a refusal the link would relogin for (UNAUTHORIZED with
 * a session reason or action relogin: the token was revoked or expired meanwhile) gets one login
 * and one resend, unless a newer token is already stored. A second refusal surfaces as it is.
 */
async function sendWithRelogin<T>(session: UploadSession, send: (token: string | null) => Promise<T>): Promise<T> {
  await session.ensureSession();
  const sentToken = session.getToken();
  try {
    return await send(sentToken);
  } catch (error) {
    if (!isSessionError(error)) throw error;
    const storedNow = session.getToken();
    // Another call may have logged in while this upload was on its way: its token is good to use.
    if (storedNow === null || storedNow === sentToken) await session.login();
    return send(session.getToken());
  }
}

async function sendOnce(filePath: string, token: string | null, deps: AvatarUploadDeps): Promise<string> {
  let response: { statusCode: number; data: unknown };
  try {
    response = await deps.uploadFile({
      url: deps.uploadUrl,
      filePath,
      name: AVATAR_UPLOAD_FIELD,
      header: token ? { Authorization: `Bearer ${token}` } : {},
      timeout: AVATAR_UPLOAD_TIMEOUT_MS,
    });
  } catch (failure) {
    // Taro rejects with wx's plain `{ errMsg }`: no answer from the server at all. Its text is the
    // only sign of a timeout, read the way the link's taroFetch reads Taro.request's.
    const errMsg = (failure as { errMsg?: unknown } | null)?.errMsg;
    const text = typeof errMsg === "string" ? errMsg : String(failure);
    throw new TaroRequestError(/time ?out/i.test(text) ? "timeout" : "network", `Avatar upload failed: ${text}`);
  }
  return parseAvatarUploadResponse(response.statusCode, response.data);
}
