import { TaroRequestError } from "@mp-auth/taro-link";
import { describe, expect, it, vi } from "vitest";
import {
  AvatarUploadError,
  avatarUploadUrl,
  parseAvatarUploadResponse,
  serverBaseUrlFromApiUrl,
  uploadAvatarFile,
  type AvatarUploadDeps,
  type UploadFile,
} from "../src/services/avatar-upload";
import { userFacingError } from "../src/services/user-facing-error";

describe("serverBaseUrlFromApiUrl", () => {
  it("drops the /trpc suffix of the API URL", () => {
    expect(serverBaseUrlFromApiUrl("http://127.0.0.1:3000/trpc")).toBe("http://127.0.0.1:3000");
    expect(serverBaseUrlFromApiUrl("https://api.example.com/trpc/")).toBe("https://api.example.com");
    expect(serverBaseUrlFromApiUrl(" https://api.example.com/trpc?x=1 ")).toBe("https://api.example.com");
  });

  it("keeps a path prefix the server is mounted under", () => {
    expect(serverBaseUrlFromApiUrl("https://example.com/api/trpc")).toBe("https://example.com/api");
    expect(avatarUploadUrl("https://example.com/api/trpc")).toBe("https://example.com/api/uploads/avatar");
  });

  it("leaves a URL without /trpc as it is", () => {
    expect(serverBaseUrlFromApiUrl("https://api.example.com/")).toBe("https://api.example.com");
    // Only a whole last segment counts.
    expect(serverBaseUrlFromApiUrl("https://example.com/mytrpc")).toBe("https://example.com/mytrpc");
  });
});

describe("parseAvatarUploadResponse", () => {
  it("returns the URL of a stored image, from text or an object, and from tRPC's result shape", () => {
    expect(parseAvatarUploadResponse(200, '{"url":"http://127.0.0.1:3000/uploads/avatars/a.png"}')).toBe(
      "http://127.0.0.1:3000/uploads/avatars/a.png",
    );
    expect(parseAvatarUploadResponse(200, { url: "https://cdn.example.com/a.png" })).toBe(
      "https://cdn.example.com/a.png",
    );
    expect(parseAvatarUploadResponse(200, '{"result":{"data":{"url":"https://cdn.example.com/b.png"}}}')).toBe(
      "https://cdn.example.com/b.png",
    );
  });

  function thrownBy(status: number, body: unknown): unknown {
    try {
      parseAvatarUploadResponse(status, body);
    } catch (error) {
      return error;
    }
    throw new Error(`HTTP ${status} was accepted`);
  }

  it("turns refusals into errors carrying the server's reason and the action", () => {
    const cases: [number, unknown, string, string][] = [
      [401, { error: { message: "revoked", reason: "REVOKED" } }, "REVOKED", "relogin"],
      [401, "", "NO_TOKEN", "relogin"],
      [413, '{"error":{"message":"big","reason":"UPLOAD_TOO_LARGE"}}', "UPLOAD_TOO_LARGE", "show"],
      [415, '{"error":{"message":"type","reason":"UPLOAD_UNSUPPORTED_TYPE"}}', "UPLOAD_UNSUPPORTED_TYPE", "show"],
      [400, '{"error":{"message":"bad","reason":"INVALID_INPUT"}}', "INVALID_INPUT", "show"],
      [500, '{"error":{"message":"Internal server error.","reason":"INTERNAL"}}', "INTERNAL", "retry"],
      // The contract's envelope: its action wins over the status.
      [
        429,
        '{"error":{"message":"slow down","code":-32029,"data":{"reason":"UPLOAD_RATE_LIMITED","action":"retry","code":"TOO_MANY_REQUESTS","httpStatus":429}}}',
        "UPLOAD_RATE_LIMITED",
        "retry",
      ],
    ];
    for (const [status, body, reason, action] of cases) {
      const thrown = thrownBy(status, body);
      expect(thrown, `HTTP ${status}`).toBeInstanceOf(AvatarUploadError);
      expect((thrown as AvatarUploadError).data).toMatchObject({ reason, action, httpStatus: status });
    }
    expect((thrownBy(401, "") as AvatarUploadError).data.code).toBe("UNAUTHORIZED");
  });

  it("reports an answer that is not the server's as the link's bad response", () => {
    const cases: [number, unknown][] = [
      [502, "<html>Bad Gateway</html>"],
      [200, '{"ok":true}'],
      [200, '{"url":"wxfile://tmp_1.png"}'],
    ];
    for (const [status, body] of cases) {
      const thrown = thrownBy(status, body);
      expect(thrown, `HTTP ${status}`).toBeInstanceOf(TaroRequestError);
      expect(String((thrown as TaroRequestError).kind).replace("-", "_")).toBe("bad_response");
      expect((thrown as TaroRequestError).status).toBe(status);
    }
  });
});

function fakeDeps(answers: { statusCode: number; data: unknown }[], token = "token-1") {
  let storedToken: string | null = token;
  const sent: { header: Record<string, string>; name: string; url: string }[] = [];
  const uploadFile = vi.fn<UploadFile>(async (options) => {
    sent.push({ header: options.header, name: options.name, url: options.url });
    const answer = answers.shift();
    if (!answer) throw new Error("no more answers");
    return answer;
  });
  const session = {
    ensureSession: vi.fn(async () => undefined),
    getToken: () => storedToken,
    login: vi.fn(async () => {
      storedToken = "token-2";
    }),
    setToken: (value: string | null) => void (storedToken = value),
  };
  const deps: AvatarUploadDeps = { uploadUrl: "http://server/uploads/avatar", uploadFile, session };
  return { deps, sent, session, uploadFile };
}

const OK = { statusCode: 200, data: '{"url":"http://server/uploads/avatars/a.png"}' };
const REVOKED = { statusCode: 401, data: '{"error":{"message":"revoked","reason":"REVOKED"}}' };

describe("uploadAvatarFile", () => {
  it("ensures the session, then sends the file as field `file` with the bearer token", async () => {
    const { deps, sent, session } = fakeDeps([OK]);
    await expect(uploadAvatarFile("wxfile://tmp_1.png", deps)).resolves.toBe("http://server/uploads/avatars/a.png");
    expect(session.ensureSession).toHaveBeenCalledTimes(1);
    expect(sent).toEqual([
      { url: "http://server/uploads/avatar", name: "file", header: { Authorization: "Bearer token-1" } },
    ]);
    expect(session.login).not.toHaveBeenCalled();
  });

  it("logs in once and retries once when the token was refused", async () => {
    const { deps, sent, session } = fakeDeps([REVOKED, OK]);
    await expect(uploadAvatarFile("wxfile://tmp_1.png", deps)).resolves.toContain("/uploads/avatars/");
    expect(session.login).toHaveBeenCalledTimes(1);
    expect(sent.map((request) => request.header.Authorization)).toEqual(["Bearer token-1", "Bearer token-2"]);
  });

  it("fails with the second refusal instead of looping", async () => {
    const { deps, session } = fakeDeps([REVOKED, REVOKED, OK]);
    await expect(uploadAvatarFile("wxfile://tmp_1.png", deps)).rejects.toMatchObject({
      data: { reason: "REVOKED", action: "relogin" },
    });
    expect(session.login).toHaveBeenCalledTimes(1);
  });

  it("uses a token stored meanwhile without logging in", async () => {
    const { deps, sent, session } = fakeDeps([]);
    const answers = [REVOKED, OK];
    deps.uploadFile = async (options) => {
      sent.push({ header: options.header, name: options.name, url: options.url });
      // Another call logged in while this upload was on its way.
      session.setToken("token-from-elsewhere");
      return answers.shift()!;
    };
    await uploadAvatarFile("wxfile://tmp_1.png", deps);
    expect(session.login).not.toHaveBeenCalled();
    expect(sent[1]?.header.Authorization).toBe("Bearer token-from-elsewhere");
  });

  it("does not log in again for refusals that are not about the session", async () => {
    const { deps, session } = fakeDeps([
      { statusCode: 413, data: '{"error":{"message":"big","reason":"UPLOAD_TOO_LARGE"}}' },
    ]);
    await expect(uploadAvatarFile("x", deps)).rejects.toMatchObject({
      data: { reason: "UPLOAD_TOO_LARGE", action: "show" },
    });
    expect(session.login).not.toHaveBeenCalled();
  });

  it("reports a transport failure as the link's TaroRequestError, which is retryable", async () => {
    const { deps } = fakeDeps([]);
    deps.uploadFile = async () => Promise.reject({ errMsg: "uploadFile:fail timeout" });
    const timeout = await uploadAvatarFile("x", deps).catch((error: unknown) => error);
    expect(timeout).toBeInstanceOf(TaroRequestError);
    expect(timeout).toMatchObject({ kind: "timeout" });
    expect(userFacingError(timeout, "avatar")).toMatchObject({ reason: "TIMEOUT", action: "retry" });
    deps.uploadFile = async () => Promise.reject({ errMsg: "uploadFile:fail net::ERR_CONNECTION_REFUSED" });
    const network = await uploadAvatarFile("x", deps).catch((error: unknown) => error);
    expect(userFacingError(network, "avatar")).toMatchObject({ reason: "NETWORK", action: "retry" });
  });
});
