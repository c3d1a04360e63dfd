import { Button, Text, View } from "@tarojs/components";
import Taro, { useDidShow } from "@tarojs/taro";
import { useCallback, useRef, useState } from "react";
import { busyProps } from "../../components/busy-props";
import { ErrorPanel } from "../../components/error-panel";
import { SignedOutPanel } from "../../components/signed-out-panel";
import { api, type DeviceSession } from "../../services/api";
import { userFacingError, type UserFacingError } from "../../services/user-facing-error";
import { describeDevice, formatDateTime } from "../../services/format";
import { describeLoginAttempt, describeNetwork, type LoginHistoryItem } from "../../services/login-history";
import { sessionStore, useSessionState } from "../../state/app-session";
import "./index.css";

type ListState =
  { status: "loading" } | { status: "loaded"; sessions: DeviceSession[] } | { status: "error"; error: UserFacingError };

/** The sign-in history: its own state, so a failure there leaves the device list usable. */
type HistoryState =
  | { status: "loading" }
  | { status: "loaded"; items: LoginHistoryItem[]; nextCursor: string | null; loadingMore: boolean }
  | { status: "error"; error: UserFacingError };

/** Entries per page of 「最近登录记录」 (the server allows up to 50). */
const HISTORY_PAGE = 10;

export default function SessionsPage() {
  const sessionState = useSessionState();
  const [list, setList] = useState<ListState>({ status: "loading" });
  const [revokingId, setRevokingId] = useState<string | null>(null);
  const [loggingOutEverywhere, setLoggingOutEverywhere] = useState(false);
  const [history, setHistory] = useState<HistoryState>({ status: "loading" });
  // Ignores answers to a load that a newer load has replaced.
  const loadTicket = useRef(0);
  const historyTicket = useRef(0);

  const loadHistory = useCallback(async () => {
    const ticket = ++historyTicket.current;
    setHistory({ status: "loading" });
    try {
      const page = await api.auth.history.query({ limit: HISTORY_PAGE });
      if (ticket === historyTicket.current) setHistory({ status: "loaded", ...page, loadingMore: false });
    } catch (error) {
      console.error("[mp-auth]", error);
      if (ticket === historyTicket.current) setHistory({ status: "error", error: userFacingError(error) });
    }
  }, []);

  async function loadMoreHistory() {
    if (history.status !== "loaded" || !history.nextCursor) return;
    const ticket = historyTicket.current;
    setHistory({ ...history, loadingMore: true });
    try {
      const page = await api.auth.history.query({ limit: HISTORY_PAGE, cursor: history.nextCursor });
      if (ticket === historyTicket.current) {
        setHistory({
          status: "loaded",
          items: [...history.items, ...page.items],
          nextCursor: page.nextCursor,
          loadingMore: false,
        });
      }
    } catch (error) {
      console.error("[mp-auth]", error);
      void Taro.showToast({ title: userFacingError(error).message, icon: "none" });
      if (ticket === historyTicket.current) setHistory({ ...history, loadingMore: false });
    }
  }

  const load = useCallback(async (showSpinner: boolean) => {
    const ticket = ++loadTicket.current;
    if (showSpinner) setList({ status: "loading" });
    try {
      const sessions = await api.auth.sessions.query();
      if (ticket === loadTicket.current) setList({ status: "loaded", sessions });
    } catch (error) {
      console.error("[mp-auth]", error);
      if (ticket === loadTicket.current) setList({ status: "error", error: userFacingError(error) });
    }
  }, []);

  // Every time the page shows, so the list is never stale after coming back to it.
  useDidShow(() => {
    if (sessionStore.getState().status !== "signed-out") {
      void load(true);
      void loadHistory();
    }
  });

  async function revoke(session: DeviceSession) {
    setRevokingId(session.id);
    try {
      await api.auth.revoke.mutate({ id: session.id });
      void Taro.showToast({ title: "已退出该设备", icon: "success" });
    } catch (error) {
      console.error("[mp-auth]", error);
      void Taro.showToast({ title: userFacingError(error).message, icon: "none" });
    } finally {
      setRevokingId(null);
    }
    await load(false);
  }

  async function logoutEverywhere() {
    const { confirm } = await Taro.showModal({
      title: "退出所有设备",
      content: "所有设备（包括本机）都将退出登录，确定继续吗？",
      confirmText: "全部退出",
      cancelText: "取消",
    });
    if (!confirm) return;
    setLoggingOutEverywhere(true);
    try {
      await api.auth.logoutAll.mutate();
      sessionStore.markSignedOut();
      await Taro.reLaunch({ url: "/pages/home/index" });
    } catch (error) {
      console.error("[mp-auth]", error);
      void Taro.showToast({ title: userFacingError(error).message, icon: "none" });
    } finally {
      setLoggingOutEverywhere(false);
    }
  }

  if (sessionState.status === "signed-out") {
    return <SignedOutPanel id="sessions-signed-out" />;
  }

  return (
    <View className="page">
      <View className="section-header">
        <Text className="section-title">已登录的设备</Text>
        <Button id="refresh-sessions" className="mini-button" size="mini" onClick={() => void load(true)}>
          刷新
        </Button>
      </View>

      {list.status === "loading" ? (
        <View id="sessions-loading" className="panel status-text">
          正在加载…
        </View>
      ) : null}

      {list.status === "error" ? (
        <ErrorPanel id="sessions-error" error={list.error} onRetry={() => void load(true)} />
      ) : null}

      {list.status === "loaded" ? (
        <View id="session-list" className="session-list">
          {list.sessions.map((session) => (
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
                  onClick={() => void revoke(session)}
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

      {history.status === "loading" ? (
        <View id="history-loading" className="panel status-text">
          正在加载…
        </View>
      ) : null}

      {history.status === "error" ? (
        <ErrorPanel id="history-error" error={history.error} onRetry={() => void loadHistory()} />
      ) : null}

      {history.status === "loaded" ? (
        <View id="history-list" className="session-list">
          {history.items.length === 0 ? (
            <View className="panel status-text">暂无登录记录</View>
          ) : (
            history.items.map((item) => (
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
          {history.nextCursor ? (
            <Button
              id="history-more"
              className="mini-button"
              size="mini"
              {...busyProps(history.loadingMore, history.loadingMore)}
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
        {...busyProps(loggingOutEverywhere, loggingOutEverywhere || list.status !== "loaded")}
        onClick={() => void logoutEverywhere()}
      >
        退出所有设备
      </Button>
    </View>
  );
}
