import { Button, Image, Text, View } from "@tarojs/components";
import Taro from "@tarojs/taro";
import { ErrorPanel } from "../../components/error-panel";
import type { CurrentUser } from "../../services/api";
import { avatarInitial, displayNickname, formatDateTime } from "../../services/format";
import { maskPhoneNumber } from "../../services/phone-number";
import { sessionStore, useSessionState } from "../../state/app-session";
import "./index.css";

export default function HomePage() {
  const state = useSessionState();

  switch (state.status) {
    case "loading":
      return (
        <View className="page">
          <View id="home-loading" className="panel status-text">
            正在登录…
          </View>
        </View>
      );
    case "error":
      return (
        <View className="page">
          <ErrorPanel id="home-error" error={state.error} onRetry={() => void sessionStore.retry()} />
        </View>
      );
    case "signed-out":
      return (
        <View className="page">
          <View id="signed-out" className="panel">
            <Text className="status-text">你已退出登录</Text>
            <Button id="login" className="button" type="primary" onClick={() => void sessionStore.login()}>
              微信一键登录
            </Button>
          </View>
        </View>
      );
    case "signed-in":
      return <SignedIn user={state.user} />;
  }
}

function SignedIn({ user }: { user: CurrentUser }) {
  return (
    <View className="page">
      <View id="profile" className="panel profile">
        {user.avatarUrl ? (
          <Image id="avatar" className="avatar" src={user.avatarUrl} mode="aspectFill" />
        ) : (
          <View id="avatar-placeholder" className="avatar avatar-placeholder">
            {avatarInitial(user.nickname)}
          </View>
        )}
        <View className="profile-text">
          <Text id="nickname" className="nickname">
            {displayNickname(user.nickname)}
          </Text>
          <View className="meta">
            <Text className="meta-label">用户 ID：</Text>
            <Text id="user-id" className="user-id">
              {user.id}
            </Text>
          </View>
          <Text className="meta">注册时间：{formatDateTime(user.createdAt)}</Text>
          {user.phoneNumber ? (
            <Text id="home-phone" className="meta">
              手机号：{maskPhoneNumber(user.phoneNumber)}
            </Text>
          ) : null}
        </View>
      </View>

      <View className="actions">
        <Button
          id="open-profile"
          className="button"
          type="primary"
          onClick={() => void Taro.navigateTo({ url: "/pages/profile/index" })}
        >
          编辑资料
        </Button>
        <Button id="open-notes" className="button" onClick={() => void Taro.navigateTo({ url: "/pages/notes/index" })}>
          我的笔记
        </Button>
        <Button
          id="open-sessions"
          className="button"
          onClick={() => void Taro.navigateTo({ url: "/pages/sessions/index" })}
        >
          登录设备管理
        </Button>
        <Button id="refresh" className="button" onClick={() => void sessionStore.refreshUser()}>
          刷新资料
        </Button>
        <Button id="logout" className="button" type="warn" onClick={() => void sessionStore.logout()}>
          退出登录
        </Button>
      </View>
    </View>
  );
}
