import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Button, Text, View } from "@tarojs/components";
import Taro, { useDidShow } from "@tarojs/taro";
import { busyProps } from "../../components/busy-props";
import { ErrorPanel } from "../../components/error-panel";
import { SignedOutPanel } from "../../components/signed-out-panel";
import { trpc } from "../../services/trpc";
import { userFacingError } from "../../services/user-facing-error";
import { describeDevice, formatDateTime } from "../../services/format";
import { describeLoginAttempt, describeNetwork } from "../../services/login-history";
import { sessionStore, useSessionState } from "../../state/app-session";
import "./index.css";

/** Entries per page of 「最近登录记录」 (the server allows up to 50). */
const HISTORY_PAGE = 10;

function toast(error: unknown): void {
  console.error("[mp-auth]", error);
  void Taro.showToast({ title: userFacingError(error).message, icon: "none" });
}

/**
 * The signed-in devices (auth.sessions) and the sign-in history (auth.history, a page at a time)
 * on the typed hooks: two queries with states of their own, so a failure of one leaves the other
 * usable, and two mutations that read the device list again when they end.
 */
export default function SessionsPage() {
  const sessionState = useSessionState();
  // Not before sign-in: a query would log in by itself, even after the user logged out.
  const signedIn = sessionState.status === "signed-in";
  const queryClient = useQueryClient();

  const sessions = useQuery(trpc.auth.sessions.queryOptions(undefined, { enabled: signedIn }));
  const history = useInfiniteQuery(
    trpc.auth.history.infiniteQueryOptions(
      { limit: HISTORY_PAGE },
      { getNextPageParam: (page) => page.nextCursor ?? undefined, enabled: signedIn },
    ),
  );
  const historyItems = history.data?.pages.flatMap((page) => page.items) ?? [];

  // Every time the page shows, so the list is never stale after coming back to it (joining the
  // first load instead of cancelling it).
  useDidShow(() => {
    if (!signedIn) return;
    void sessions.refetch({ cancelRefetch: false });
    void history.refetch({ cancelRefetch: false });
  });

  const revoke = useMutation(
    trpc.auth.revoke.mutationOptions({
      onSuccess: () => void Taro.showToast({ title: "已退出该设备", icon: "success" }),
      onError: toast,
      onSettled: () => queryClient.invalidateQueries(trpc.auth.sessions.pathFilter()),
    }),
  );
  const revokingId = revoke.isPending ? revoke.variables.id : null;

  const logoutAll = useMutation(
    trpc.auth.logoutAll.mutationOptions({
      onSuccess: async () => {
        sessionStore.markSignedOut();
        await Taro.reLaunch({ url: "/pages/home/index" });
      },
      onError: toast,
    }),
  );

  async function logoutEverywhere() {
    const { confirm } = await Taro.showModal({
      title: "退出所有设备",
      content: "所有设备（包括本机）都将退出登录，确定继续吗？",
      confirmText: "全部退出",
      cancelText: "取消",
    });
    if (confirm) logoutAll.mutate();
  }

  async function loadMoreHistory() {
    const result = await history.fetchNextPage();
    if (result.isFetchNextPageError) toast(result.error);
  }

  if (sessionState.status === "signed-out") {
    return <SignedOutPanel id="sessions-signed-out" />;
  }

  return (
    <View className="page">
      <View className="section-header">
        <Text className="section-title">已登录的设备</Text>
        <Button
          id="refresh-sessions"
          className="mini-button"
          size="mini"
          {...busyProps(sessions.isFetching, sessions.isFetching)}
          onClick={() => void sessions.refetch()}
        >
          刷新
        </Button>
      </View>

      {sessions.isPending && !sessions.isError ? (
        <View id="sessions-loading" className="panel status-text">
          正在加载…
        </View>
      ) : null}

      {sessions.isError ? (
        <ErrorPanel
          id="sessions-error"
          error={userFacingError(sessions.error)}
          onRetry={() => void sessions.refetch()}
        />
      ) : null}

      {sessions.data && !sessions.isError ? (
        <View id="session-list" className="session-list">
          {sessions.data.map((session) => (
            <View
              key={session.id}
              id={`session-${session.id}`}
              className={session.current ? "session-item session-current" : "session-item"}
            >
              <View className="session-text">
                <View className="session-title">
                  <Text>{describeDevice(session.userAgent)}</Text>
                  {session.current ? <Text className="current-badge">本机</Text> : null}
                </View>
                <Text className="session-meta">登录时间：{formatDateTime(session.createdAt)}</Text>
                <Text className="session-meta">最近使用：{formatDateTime(session.lastUsedAt)}</Text>
                {session.clientIp ? <Text className="session-meta">IP：{session.clientIp}</Text> : null}
              </View>
              {session.current ? null : (
                <Button
                  id={`revoke-${session.id}`}
                  className="mini-button revoke-button"
                  size="mini"
                  type="warn"
                  {...busyProps(revokingId === session.id, revokingId !== null)}
                  onClick={() => revoke.mutate({ id: session.id })}
                >
                  退出该设备
                </Button>
              )}
            </View>
          ))}
        </View>
      ) : null}

      <View className="section-header history-header">
        <Text className="section-title">最近登录记录</Text>
      </View>

      {history.isPending && !history.isError ? (
        <View id="history-loading" className="panel status-text">
          正在加载…
        </View>
      ) : null}

      {history.isError && !history.data ? (
        <ErrorPanel id="history-error" error={userFacingError(history.error)} onRetry={() => void history.refetch()} />
      ) : null}

      {history.data ? (
        <View id="history-list" className="session-list">
          {historyItems.length === 0 ? (
            <View className="panel status-text">暂无登录记录</View>
          ) : (
            historyItems.map((item) => (
              <View
                key={item.id}
                id={`history-${item.id}`}
                className={item.result === "success" ? "history-item" : "history-item history-failed"}
              >
                <View className="session-title">
                  <Text>{describeLoginAttempt(item)}</Text>
                </View>
                <Text className="session-meta">时间：{formatDateTime(item.at)}</Text>
                <Text className="session-meta">设备：{describeDevice(item.userAgent)}</Text>
                <Text className="session-meta">{describeNetwork(item.network)}</Text>
              </View>
            ))
          )}
          {history.hasNextPage ? (
            <Button
              id="history-more"
              className="mini-button"
              size="mini"
              {...busyProps(history.isFetchingNextPage, history.isFetchingNextPage)}
              onClick={() => void loadMoreHistory()}
            >
              加载更多
            </Button>
          ) : null}
        </View>
      ) : null}

      <Button
        id="logout-all"
        className="button"
        type="warn"
        {...busyProps(logoutAll.isPending, logoutAll.isPending || !sessions.data)}
        onClick={() => void logoutEverywhere()}
      >
        退出所有设备
      </Button>
    </View>
  );
}
