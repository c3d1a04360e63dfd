import { AVATAR_UPLOAD_FIELD, AVATAR_UPLOAD_PROCEDURE } from "@mp-auth/contract";
import { readTrpcResponse, TaroRequestError, type AuthenticatedRequest } from "@mp-auth/taro-link";

/**
 * The avatar upload: the chooseAvatar button (or chooseImage on H5) gives a local temporary file
 * that only exists on this device, so it is sent to the server's tRPC mutation user.uploadAvatar
 * (multipart/form-data, which only Taro.uploadFile can send) and the URL it answers is then saved
 * with user.updateProfile.
 *
 * The session rules (the token, waiting for a login in flight, one shared relogin and one resend
 * when the token was refused) are taro-link's: the request runs inside its `authenticated`, and
 * its answer is read by `readTrpcResponse` into the URL or the TRPCClientError any call would give.
 * No Taro import: the caller passes Taro.uploadFile and `authenticated`, so tests use their own.
 */

/** wx.uploadFile's default is 60 s; an avatar of at most 2 MB that takes longer will not make it. */
const AVATAR_UPLOAD_TIMEOUT_MS = 30_000;

/** The slice of Taro.uploadFile used here; it rejects with the platform's `{ errMsg }`. */
export type UploadFile = (options: {
  url: string;
  filePath: string;
  name: string;
  header: Record<string, string>;
  timeout: number;
}) => Promise<{ statusCode: number; data: unknown }>;

export interface AvatarUploadDeps {
  /** The tRPC endpoint (TARO_APP_API_URL, without a trailing slash), e.g. http://127.0.0.1:3000/trpc. */
  apiUrl: string;
  uploadFile: UploadFile;
  /** taro-link's `authenticated` of the app's client. */
  authenticated: AuthenticatedRequest;
}

/** Uploads the file and resolves to the URL the server stored it under. */
export function uploadAvatarFile(
  filePath: string,
  { apiUrl, uploadFile, authenticated }: AvatarUploadDeps,
): Promise<string> {
  // The procedure's URL as tRPC's links build it: the endpoint, then the procedure path.
  const url = `${apiUrl}/${AVATAR_UPLOAD_PROCEDURE}`;
  const request = `POST ${url}`;
  return authenticated(
    async (header) => {
      const answer = await uploadFile({
        url,
        filePath,
        name: AVATAR_UPLOAD_FIELD,
        header,
        timeout: AVATAR_UPLOAD_TIMEOUT_MS,
      });
      const stored = readTrpcResponse<{ url?: unknown } | null>(answer, request);
      // The page saves this URL as the avatar: an answer without one must not reach updateProfile.
      if (typeof stored?.url !== "string" || !/^https?:\/\/\S+$/.test(stored.url)) {
        throw new TaroRequestError(
          "bad_response",
          `HTTP ${answer.statusCode} from ${request} has no image URL`,
          answer.statusCode,
        );
      }
      return stored.url;
    },
    // Not idempotent (the link's default, said here on purpose): an upload that timed out may have
    // been stored, and the server rate-limits uploads; the page offers 「重试」 instead.
    { idempotent: false, path: AVATAR_UPLOAD_PROCEDURE },
  );
}
