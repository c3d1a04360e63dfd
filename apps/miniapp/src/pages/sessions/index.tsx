import { Button, Text, View } from "@tarojs/components";
import Taro, { useDidShow } from "@tarojs/taro";
import { useCallback, useRef, useState } from "react";
import { busyProps } from "../../components/busy-props";
import { ErrorPanel } from "../../components/error-panel";
import { SignedOutPanel } from "../../components/signed-out-panel";
import { api, type DeviceSession } from "../../services/api";
import { userFacingError, type UserFacingError } from "../../services/user-facing-error";
import { describeDevice, formatDateTime } from "../../services/format";
import { sessionStore, useSessionState } from "../../state/app-session";
import "./index.css";

type ListState =
  { status: "loading" } | { status: "loaded"; sessions: DeviceSession[] } | { status: "error"; error: UserFacingError };

export default function SessionsPage() {
  const sessionState = useSessionState();
  const [list, setList] = useState<ListState>({ status: "loading" });
  const [revokingId, setRevokingId] = useState<string | null>(null);
  const [loggingOutEverywhere, setLoggingOutEverywhere] = useState(false);
  // Ignores answers to a load that a newer load has replaced.
  const loadTicket = useRef(0);

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
    if (sessionStore.getState().status !== "signed-out") void load(true);
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
