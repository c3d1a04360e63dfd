import { DEFAULT_RELOGIN_REASONS, type ClientAction } from "@mp-auth/taro-link";

/**
 * Avatar upload to apps/server's `POST /uploads/avatar` (plain HTTP multipart, not tRPC): the
 * chooseAvatar button (or chooseImage on H5) gives a local temporary file that only exists on this
 * device, so it is uploaded first and the returned URL is then saved with user.updateProfile.
 * No Taro import: the caller passes Taro.uploadFile and the session, so tests use fakes.
 */

export const AVATAR_UPLOAD_PATH = "/uploads/avatar";

/** wx.uploadFile's default is 60 s; an avatar of at most 2 MB that takes longer will not make it. */
export const AVATAR_UPLOAD_TIMEOUT_MS = 30_000;

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
 * A failed upload, shaped like a tRPC error (`data.reason`, `data.action`) so the page describes
 * it with the same code as any API error.
 */
export class AvatarUploadError extends Error {
  readonly data: { reason: string; action: ClientAction; httpStatus?: number };

  constructor(message: string, data: { reason: string; action: ClientAction; httpStatus?: number }) {
    super(message);
    this.name = "AvatarUploadError";
    this.data = data;
  }
}

/** Reasons of a 401 that a fresh login fixes (the same list taro-link relogs in for). */
function isSessionRefusal(error: unknown): boolean {
  return (
    error instanceof AvatarUploadError &&
    error.data.httpStatus === 401 &&
    DEFAULT_RELOGIN_REASONS.includes(error.data.reason)
  );
}

interface UploadErrorBody {
  error?: { message?: unknown; reason?: unknown };
  url?: unknown;
}

/**
 * Reads the server's answer. wx.uploadFile calls `success` for every HTTP status and always gives
 * the body as a string, so the status decides and the text is parsed here.
 */
export function parseAvatarUploadResponse(statusCode: number, data: unknown): string {
  const body = parseBody(data);
  if (statusCode >= 200 && statusCode < 300) {
    const url = body?.url;
    if (typeof url === "string" && /^https?:\/\/\S+$/.test(url)) return url;
    throw new AvatarUploadError(`Avatar upload answered HTTP ${statusCode} without a URL`, {
      reason: "BAD_RESPONSE",
      action: "retry",
      httpStatus: statusCode,
    });
  }
  const serverReason = typeof body?.error?.reason === "string" && body.error.reason ? body.error.reason : undefined;
  const serverMessage = typeof body?.error?.message === "string" ? body.error.message : undefined;
  const message = serverMessage ?? `Avatar upload answered HTTP ${statusCode}`;
  if (statusCode === 401) {
    return failUpload(message, { reason: serverReason ?? "NO_TOKEN", action: "relogin", httpStatus: statusCode });
  }
  // 5xx and a non-JSON answer (a gateway's error page) may pass on a second try; a 4xx will not.
  const action: ClientAction = statusCode >= 500 || !body ? "retry" : "show";
  return failUpload(message, { reason: serverReason ?? `HTTP_${statusCode}`, action, httpStatus: statusCode });
}

function failUpload(message: string, data: AvatarUploadError["data"]): never {
  throw new AvatarUploadError(message, data);
}

function parseBody(data: unknown): UploadErrorBody | undefined {
  let parsed: unknown = data;
  if (typeof data === "string") {
    try {
      parsed = JSON.parse(data);
    } catch {
      return undefined;
    }
  }
  return typeof parsed === "object" && parsed !== null ? (parsed as UploadErrorBody) : undefined;
}

/** The slice of Taro.uploadFile used here. */
export type UploadFile = (options: {
  url: string;
  filePath: string;
  name: string;
  header: Record<string, string>;
  timeout: number;
}) => Promise<{ statusCode: number; data: unknown }>;

export interface AvatarUploadDeps {
  uploadUrl: string;
  uploadFile: UploadFile;
  /** taro-link's session: the upload is outside tRPC, so it handles its own 401 like sessionLink does. */
  session: {
    ensureSession: () => Promise<unknown>;
    getToken: () => string | null;
    login: () => Promise<unknown>;
  };
}

/**
 * Uploads the file and resolves to its URL. A 401 with a session reason (the token was revoked or
 * expired meanwhile) gets one login and one more try, unless a newer token is already stored.
 */
export async function uploadAvatarFile(filePath: string, deps: AvatarUploadDeps): Promise<string> {
  await deps.session.ensureSession();
  const sentToken = deps.session.getToken();
  try {
    return await sendOnce(filePath, sentToken, deps);
  } catch (error) {
    if (!isSessionRefusal(error)) throw error;
    const storedNow = deps.session.getToken();
    // Another call may have logged in while this upload was on its way: its token is good to use.
    if (storedNow === null || storedNow === sentToken) await deps.session.login();
    return sendOnce(filePath, deps.session.getToken(), deps);
  }
}

async function sendOnce(filePath: string, token: string | null, deps: AvatarUploadDeps): Promise<string> {
  let response: { statusCode: number; data: unknown };
  try {
    response = await deps.uploadFile({
      url: deps.uploadUrl,
      filePath,
      name: "file",
      header: token ? { Authorization: `Bearer ${token}` } : {},
      timeout: AVATAR_UPLOAD_TIMEOUT_MS,
    });
  } catch (failure) {
    // Taro rejects with wx's plain `{ errMsg }`: no answer from the server at all.
    const errMsg = (failure as { errMsg?: unknown } | null)?.errMsg;
    const text = typeof errMsg === "string" ? errMsg : String(failure);
    throw new AvatarUploadError(`Avatar upload failed: ${text}`, {
      reason: /timeout/i.test(text) ? "TIMEOUT" : "NETWORK",
      action: "retry",
    });
  }
  return parseAvatarUploadResponse(response.statusCode, response.data);
}
