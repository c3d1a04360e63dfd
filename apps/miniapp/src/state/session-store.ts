import { userFacingError, type UserFacingError } from "../services/user-facing-error";

/**
 * The app's sign-in state, shared by every page. A plain subscribable object (no React, no Taro)
 * so its transitions are unit-tested with fakes; pages read it through useSessionState().
 */

export type SessionState<User> =
  | { status: "loading" }
  | { status: "signed-in"; user: User }
  | { status: "signed-out" }
  | { status: "error"; error: UserFacingError };

export interface SessionStoreDeps<User> {
  /** Set when the build cannot log in at all (e.g. H5 without a code source). */
  startupProblem?: Error | undefined;
  /** Reuses the stored token, or logs in when there is none. */
  ensureSession: () => Promise<unknown>;
  /** Always logs in with a fresh code; an explicit (user) login, which also lifts a WeChat block. */
  login: () => Promise<unknown>;
  /** Whether a token is stored (it may still be refused by the server). */
  hasStoredSession: () => boolean;
  /** Ends the session on the server and forgets the token. */
  logout: () => Promise<unknown>;
  /** Drops the stored token without calling the server (used after "log out everywhere"). */
  forgetSession: () => void;
  fetchCurrentUser: () => Promise<User>;
  /** Remembers an explicit logout across restarts, so the app does not sign straight back in. */
  signedOutByUser: { get: () => boolean; set: (value: boolean) => void };
  reportError?: (error: unknown) => void;
}

interface SessionStore<User> {
  getState: () => SessionState<User>;
  subscribe: (listener: () => void) => () => void;
  /** Called once at launch. */
  start: () => Promise<void>;
  /**
   * The retry button. With a stored token, loads the user again (taro-link re-logs in if needed);
   * without one the failure was the login itself, so this is an explicit login.
   */
  retry: () => Promise<void>;
  login: () => Promise<void>;
  logout: () => Promise<void>;
  /** Re-reads the profile; errors go to the error state. */
  refreshUser: () => Promise<void>;
  /** The server already ended this session (e.g. logoutAll): show the signed-out state. */
  markSignedOut: () => void;
  /**
   * A call answered with the user's updated profile (user.updateProfile, user.bindPhone): every
   * page shows it at once, without another user.me. Ignored unless signed in.
   */
  replaceUser: (user: User) => void;
}

export function createSessionStore<User>(deps: SessionStoreDeps<User>): SessionStore<User> {
  let state: SessionState<User> = { status: "loading" };
  const listeners = new Set<() => void>();
  // Each operation takes a ticket; a slower, older operation must not overwrite a newer result.
  let latestTicket = 0;

  function setState(next: SessionState<User>): void {
    state = next;
    for (const listener of [...listeners]) listener();
  }

  function fail(error: unknown): void {
    deps.reportError?.(error);
    setState({ status: "error", error: userFacingError(error) });
  }

  async function run(operation: () => Promise<SessionState<User>>, showLoading: boolean): Promise<void> {
    const ticket = ++latestTicket;
    if (showLoading) setState({ status: "loading" });
    try {
      const next = await operation();
      if (ticket === latestTicket) setState(next);
    } catch (error) {
      if (ticket === latestTicket) fail(error);
    }
  }

  async function signIn(ensure: () => Promise<unknown>): Promise<SessionState<User>> {
    await ensure();
    return { status: "signed-in", user: await deps.fetchCurrentUser() };
  }

  async function start(): Promise<void> {
    if (deps.startupProblem) {
      latestTicket++;
      fail(deps.startupProblem);
      return;
    }
    if (deps.signedOutByUser.get()) {
      latestTicket++;
      setState({ status: "signed-out" });
      return;
    }
    await run(() => signIn(deps.ensureSession), true);
  }

  return {
    getState: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    start,
    async retry() {
      if (deps.startupProblem) return start();
      deps.signedOutByUser.set(false);
      await run(() => signIn(deps.hasStoredSession() ? deps.ensureSession : deps.login), true);
    },
    async login() {
      if (deps.startupProblem) return start();
      deps.signedOutByUser.set(false);
      await run(() => signIn(deps.login), true);
    },
    async logout() {
      await run(async () => {
        try {
          await deps.logout();
        } catch (error) {
          // The token is forgotten locally either way; a server that cannot be reached keeps the
          // session until it expires, which the sessions page of another device can end.
          deps.reportError?.(error);
          deps.forgetSession();
        }
        deps.signedOutByUser.set(true);
        return { status: "signed-out" };
      }, true);
    },
    async refreshUser() {
      if (state.status !== "signed-in") return start();
      await run(async () => ({ status: "signed-in", user: await deps.fetchCurrentUser() }), false);
    },
    markSignedOut() {
      latestTicket++;
      deps.forgetSession();
      deps.signedOutByUser.set(true);
      setState({ status: "signed-out" });
    },
    replaceUser(user) {
      if (state.status !== "signed-in") return;
      // A refresh still in flight read the profile before this change: its answer must not win.
      latestTicket++;
      setState({ status: "signed-in", user });
    },
  };
}
