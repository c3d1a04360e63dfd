import { focusManager, onlineManager, QueryObserver } from "@tanstack/react-query";
import { afterEach, describe, expect, it } from "vitest";
import {
  createQueryClient,
  forgetQueriesOfOtherUsers,
  wireQueryLifecycle,
  type QueryLifecycleTaro,
} from "../src/services/query-client";

/** Taro's app and network events, fired by the test (what WeChat does when the user leaves or the network drops). */
class FakeLifecycleTaro implements QueryLifecycleTaro {
  readonly shows = new Set<() => void>();
  readonly hides = new Set<() => void>();
  readonly networkChanges = new Set<(result: { isConnected: boolean }) => void>();
  networkType = "wifi";

  onAppShow = (callback: () => void) => void this.shows.add(callback);
  offAppShow = (callback: () => void) => void this.shows.delete(callback);
  onAppHide = (callback: () => void) => void this.hides.add(callback);
  offAppHide = (callback: () => void) => void this.hides.delete(callback);
  getNetworkType = (options: { success: (result: { networkType: string }) => void }) =>
    void setTimeout(() => options.success({ networkType: this.networkType }));
  onNetworkStatusChange = (callback: (result: { isConnected: boolean }) => void) =>
    void this.networkChanges.add(callback);
  offNetworkStatusChange = (callback: (result: { isConnected: boolean }) => void) =>
    void this.networkChanges.delete(callback);

  show() {
    for (const callback of this.shows) callback();
  }
  hide() {
    for (const callback of this.hides) callback();
  }
  network(isConnected: boolean) {
    for (const callback of this.networkChanges) callback({ isConnected });
  }
}

let unwire: (() => void) | undefined;
afterEach(() => {
  unwire?.();
  unwire = undefined;
  onlineManager.setOnline(true);
});

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

/** An active query (a mounted page) whose data is stale at once, counting its fetches. */
function watchedQuery(queryClient = createQueryClient()) {
  // What QueryClientProvider does: the client listens to focus and online changes.
  queryClient.mount();
  let fetches = 0;
  const observer = new QueryObserver(queryClient, {
    queryKey: ["counted"],
    queryFn: () => ++fetches,
    staleTime: 0,
  });
  const stop = observer.subscribe(() => undefined);
  const unsubscribe = () => {
    stop();
    queryClient.unmount();
  };
  return { observer, fetches: () => fetches, unsubscribe, queryClient };
}

describe("React Query on the mini-program's life cycle", () => {
  it("refetches stale queries when the app shows again, and knows when it is hidden", async () => {
    const taro = new FakeLifecycleTaro();
    unwire = wireQueryLifecycle(taro);
    const query = watchedQuery();
    await expect.poll(query.fetches).toBe(1);

    taro.hide();
    expect(focusManager.isFocused()).toBe(false);
    taro.show();
    expect(focusManager.isFocused()).toBe(true);
    await expect.poll(query.fetches).toBe(2);
    query.unsubscribe();
    // Unwiring takes the listeners off Taro again.
    unwire();
    unwire = undefined;
    expect(taro.shows.size + taro.hides.size).toBe(0);
  });

  it("takes the online state from WeChat's network status: queries wait offline and run when it is back", async () => {
    const taro = new FakeLifecycleTaro();
    taro.networkType = "none";
    unwire = wireQueryLifecycle(taro);
    await tick();
    expect(onlineManager.isOnline()).toBe(false);

    const query = watchedQuery();
    await tick();
    expect(query.fetches()).toBe(0);
    expect(query.observer.getCurrentResult().fetchStatus).toBe("paused");

    taro.network(true);
    expect(onlineManager.isOnline()).toBe(true);
    await expect.poll(query.fetches).toBe(1);
    taro.network(false);
    expect(onlineManager.isOnline()).toBe(false);
    query.unsubscribe();
  });

  it("does not let getNetworkType's late answer undo a newer change event", async () => {
    const taro = new FakeLifecycleTaro();
    taro.networkType = "none";
    unwire = wireQueryLifecycle(taro);
    taro.network(true);
    await tick();
    expect(onlineManager.isOnline()).toBe(true);
  });

  it("does not retry a failed query by itself (taro-link already retried what can be)", async () => {
    const queryClient = createQueryClient();
    let calls = 0;
    await expect(
      queryClient.fetchQuery({
        queryKey: ["refused"],
        queryFn: () => {
          calls++;
          throw Object.assign(new Error("busy"), { data: { reason: "WX_BUSY", action: "retry" } });
        },
      }),
    ).rejects.toThrow("busy");
    expect(calls).toBe(1);
  });
});

describe("the cache across accounts", () => {
  function fakeStore() {
    let state: { status: string; user?: { id: string } } = { status: "loading" };
    const listeners = new Set<() => void>();
    return {
      getState: () => state,
      subscribe: (listener: () => void) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      set(next: typeof state) {
        state = next;
        for (const listener of listeners) listener();
      },
    };
  }

  it("is emptied on logout and when another user signs in, kept across a refresh of the same user", () => {
    const store = fakeStore();
    const queryClient = createQueryClient();
    forgetQueriesOfOtherUsers(store, queryClient);
    store.set({ status: "signed-in", user: { id: "u1" } });
    queryClient.setQueryData(["notes"], ["u1's note"]);

    store.set({ status: "loading" });
    store.set({ status: "signed-in", user: { id: "u1" } });
    expect(queryClient.getQueryData(["notes"])).toEqual(["u1's note"]);

    store.set({ status: "signed-out" });
    expect(queryClient.getQueryData(["notes"])).toBeUndefined();

    queryClient.setQueryData(["notes"], ["stale"]);
    store.set({ status: "signed-in", user: { id: "u2" } });
    queryClient.setQueryData(["notes"], ["u2's note"]);
    store.set({ status: "signed-in", user: { id: "u3" } });
    expect(queryClient.getQueryData(["notes"])).toBeUndefined();
  });
});
