import type { AppRouter } from "@mp-auth/api";
import Taro from "@tarojs/taro";
import { createTRPCOptionsProxy } from "@trpc/tanstack-react-query";
import { sessionStore } from "../state/app-session";
import { api } from "./api";
import { createQueryClient, forgetQueriesOfOtherUsers, wireQueryLifecycle } from "./query-client";

/**
 * Typed React Query options for every procedure, over the app's tRPC client (`api`: taro-link's
 * session, relogin and retry apply to every hook). A singleton, as tRPC recommends for apps
 * without server rendering: pages write `useQuery(trpc.notes.list.queryOptions(...))`,
 * `useMutation(trpc.notes.create.mutationOptions(...))` and invalidate with
 * `trpc.notes.list.pathFilter()`.
 */
export const queryClient = createQueryClient();

export const trpc = createTRPCOptionsProxy<AppRouter>({ client: api, queryClient });

forgetQueriesOfOtherUsers(sessionStore, queryClient);

/**
 * Called once at launch: React Query's focus and online state from the mini-program's life cycle.
 * Each API is read as `Taro.x` (see services/api.ts: on H5 the default `Taro` object lacks them).
 */
export function wireQueriesToApp(): void {
  wireQueryLifecycle({
    onAppShow: (callback) => Taro.onAppShow(callback),
    offAppShow: (callback) => Taro.offAppShow(callback),
    onAppHide: (callback) => Taro.onAppHide(callback),
    offAppHide: (callback) => Taro.offAppHide(callback),
    getNetworkType: (options) => Taro.getNetworkType(options),
    onNetworkStatusChange: (callback) => Taro.onNetworkStatusChange(callback),
    offNetworkStatusChange: (callback) => Taro.offNetworkStatusChange(callback),
  });
}
