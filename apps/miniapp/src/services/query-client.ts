import { focusManager, onlineManager, QueryClient } from "@tanstack/react-query";

/**
 * React Query for a mini-program: its cache and defaults, and its focus and online state taken
 * from the mini-program's life cycle instead of the browser's. WeChat has no `window` focus or
 * `online` events (Taro's stand-in `window` never fires them), so the app passes Taro in
 * (`wireQueryLifecycle`), which tests replace with a fake.
 */

/** The Taro APIs the wiring uses; each is read as `Taro.x` by the caller (see services/api.ts). */
export interface QueryLifecycleTaro {
  onAppShow: (callback: () => void) => void;
  offAppShow: (callback: () => void) => void;
  onAppHide: (callback: () => void) => void;
  offAppHide: (callback: () => void) => void;
  getNetworkType: (options: { success: (result: { networkType: string }) => void }) => unknown;
  onNetworkStatusChange: (callback: (result: { isConnected: boolean }) => void) => void;
  offNetworkStatusChange: (callback: (result: { isConnected: boolean }) => void) => void;
}

/**
 * The cache of the whole app. No React Query retries: taro-link already retried what the
 * contract marks `retry` (transport failures, WX_BUSY...; queries twice with backoff or the
 * server's retryAfterSeconds) and re-logged in on `relogin`; `show` and `block` cannot succeed by
 * asking again. A second, blind retry layer would multiply those waits and resend what the
 * server refused. While offline, queries and mutations pause (networkMode "online") and resume
 * when WeChat reports the network back.
 */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        retry: false,
        // Data read in this session stays fresh for half a minute: switching pages reuses it.
        staleTime: 30_000,
        // (refetchOnWindowFocus and refetchOnReconnect keep their default, true: "focus" and
        // "online" mean onAppShow and WeChat's network status once wireQueryLifecycle ran.)
      },
      mutations: { retry: false },
    },
  });
}

/**
 * Makes React Query's focus follow the app (onAppShow / onAppHide: stale queries refetch when the
 * user comes back to the mini-program) and its online state follow WeChat's network status
 * (getNetworkType at start, then onNetworkStatusChange). Returns the undo, for tests.
 */
export function wireQueryLifecycle(taro: QueryLifecycleTaro): () => void {
  focusManager.setEventListener((setFocused) => {
    const onShow = () => setFocused(true);
    const onHide = () => setFocused(false);
    taro.onAppShow(onShow);
    taro.onAppHide(onHide);
    return () => {
      taro.offAppShow(onShow);
      taro.offAppHide(onHide);
    };
  });
  onlineManager.setEventListener((setOnline) => {
    let changed = false;
    const onChange = ({ isConnected }: { isConnected: boolean }) => {
      changed = true;
      setOnline(isConnected);
    };
    taro.onNetworkStatusChange(onChange);
    taro.getNetworkType({
      // A change event that came first is newer than this answer.
      success: ({ networkType }) => changed || setOnline(networkType !== "none"),
    });
    return () => taro.offNetworkStatusChange(onChange);
  });
  return () => {
    // Back to React Query's own listeners (tests run the wiring more than once).
    focusManager.setEventListener(() => undefined);
    onlineManager.setEventListener(() => undefined);
  };
}

/** What `forgetQueriesOfOtherUsers` needs of the session store (state/session-store.ts). */
export interface UserSource {
  getState: () => { status: string; user?: { id: string } };
  subscribe: (listener: () => void) => () => void;
}

/**
 * Empties the cache when the signed-in user changes or signs out, so one account never sees
 * another's cached data (a logout then a login with another WeChat account on the same phone).
 */
export function forgetQueriesOfOtherUsers(store: UserSource, queryClient: QueryClient): () => void {
  const userIdOf = () => {
    const state = store.getState();
    return state.status === "signed-in" ? state.user?.id : undefined;
  };
  let lastUserId = userIdOf();
  return store.subscribe(() => {
    const state = store.getState();
    // Loading and error states say nothing about who is signed in.
    if (state.status !== "signed-in" && state.status !== "signed-out") return;
    const userId = userIdOf();
    if (userId !== lastUserId && lastUserId !== undefined) queryClient.clear();
    lastUserId = userId;
  });
}
