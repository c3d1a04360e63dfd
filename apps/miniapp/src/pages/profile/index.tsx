import type { RouterInputs } from "@mp-auth/api";
import { Button, Image, Input, Text, View } from "@tarojs/components";
import Taro from "@tarojs/taro";
import { useRef, useState } from "react";
import { createDevPhoneCodeSource } from "../../auth/dev-phone-code-source";
import { busyProps } from "../../components/busy-props";
import { ErrorPanel } from "../../components/error-panel";
import { PrivacyPopup } from "../../components/privacy-popup";
import { SignedOutPanel } from "../../components/signed-out-panel";
import { api, authenticated, type CurrentUser } from "../../services/api";
import { confirmAndDeleteAccount } from "../../services/account-deletion";
import { uploadAvatarFile, type UploadFile } from "../../services/avatar-upload";
import { avatarInitial, displayNickname } from "../../services/format";
import { nicknameHint, nicknameRefusal } from "../../services/nickname";
import { classifyPhoneButtonDetail, maskPhoneNumber, type PhoneButtonDetail } from "../../services/phone-number";
import {
  phoneButtonFeedback,
  userFacingError,
  type UserFacingError,
  type UserOperation,
} from "../../services/user-facing-error";
import { sessionStore, useSessionState } from "../../state/app-session";
import "./index.css";

/** Set only in builds made with TARO_APP_WX_MOCK_URL (dev H5, or a weapp pointed at the mock). */
const devPhoneCodeSource = createDevPhoneCodeSource();

/**
 * Taro.uploadFile, written out as `Taro.uploadFile` so H5's babel plugin includes it. On H5 it is
 * an XMLHttpRequest that sends cookies by default; the server answers CORS without credentials
 * (it uses the Authorization header, not cookies), so the browser would drop the answer.
 */
const uploadFile: UploadFile = async (options) => {
  const result = await Taro.uploadFile({
    ...options,
    ...(process.env.TARO_ENV === "h5" ? { withCredentials: false } : {}),
  });
  return { statusCode: result.statusCode, data: result.data };
};

type ProfileOperation = Exclude<UserOperation, "session" | "account">;

export default function ProfilePage() {
  const state = useSessionState();

  switch (state.status) {
    case "loading":
      return (
        <View className="page">
          <View id="profile-loading" className="panel status-text">
            正在加载…
          </View>
        </View>
      );
    case "error":
      return (
        <View className="page">
          <ErrorPanel id="profile-session-error" error={state.error} onRetry={() => void sessionStore.retry()} />
        </View>
      );
    case "signed-out":
      return <SignedOutPanel id="profile-signed-out" />;
    case "signed-in":
      return <ProfileEditor user={state.user} />;
  }
}

interface ShownProblem {
  problem: UserFacingError;
  /** Set when the server said `retry`: runs the same operation again. */
  retry: (() => void) | undefined;
}

function ProfileEditor({ user }: { user: CurrentUser }) {
  const [nicknameDraft, setNicknameDraft] = useState(user.nickname ?? "");
  const [busy, setBusy] = useState<ProfileOperation | null>(null);
  const [shownProblem, setShownProblem] = useState<ShownProblem | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [deleting, setDeleting] = useState(false);
  // State updates are asynchronous: two taps in one tick must still start only one operation.
  const busyRef = useRef<ProfileOperation | null>(null);

  /**
   * One operation at a time: each answers the whole profile, and two answers arriving out of order
   * could show a stale one.
   */
  async function run(operation: ProfileOperation, task: () => Promise<CurrentUser>, doneText: string): Promise<void> {
    if (busyRef.current) return;
    busyRef.current = operation;
    setBusy(operation);
    setShownProblem(null);
    setNote(null);
    try {
      sessionStore.replaceUser(await task());
      void Taro.showToast({ title: doneText, icon: "success" });
    } catch (error) {
      const problem = userFacingError(error, operation);
      console.error("[mp-auth]", `${operation} failed:`, problem.reason, problem.serverMessage ?? error);
      setShownProblem({
        problem,
        retry: problem.action === "retry" ? () => void run(operation, task, doneText) : undefined,
      });
    } finally {
      busyRef.current = null;
      setBusy(null);
    }
  }

  function saveNickname() {
    // Sent as typed: the server trims it and judges it by the same contract rule checked here.
    const nickname = nicknameDraft;
    if (busyRef.current) return;
    if (nickname.trim() === (user.nickname ?? "") && nickname.trim() !== "") {
      setShownProblem(null);
      setNote("昵称没有变化");
      return;
    }
    const refusal = nicknameRefusal(nickname);
    if (refusal) {
      // What the server would refuse is not sent: the rule's sentence shows at once.
      setNote(null);
      setShownProblem({ problem: refusal, retry: undefined });
      return;
    }
    void run(
      "nickname",
      async () => {
        const updated = await api.user.updateProfile.mutate({ nickname });
        setNicknameDraft(updated.nickname ?? "");
        return updated;
      },
      "昵称已保存",
    );
  }

  function uploadAndSaveAvatar(filePath: string) {
    void run(
      "avatar",
      async () => {
        const url = await uploadAvatarFile(filePath, {
          apiUrl: process.env.TARO_APP_API_URL,
          uploadFile,
          authenticated,
        });
        return api.user.updateProfile.mutate({ avatarUrl: url });
      },
      "头像已更新",
    );
  }

  /** H5 has no chooseAvatar button: Taro.chooseImage opens a file input there. */
  async function chooseAvatarFromAlbum() {
    if (busyRef.current) return;
    let filePath: string | undefined;
    try {
      const chosen = await Taro.chooseImage({ count: 1, sizeType: ["compressed"], sourceType: ["album"] });
      filePath = chosen.tempFilePaths[0];
    } catch {
      return; // The user closed the picker.
    }
    if (filePath) uploadAndSaveAvatar(filePath);
  }

  function bindPhone(input: RouterInputs["user"]["bindPhone"]) {
    void run("phone", () => api.user.bindPhone.mutate(input), "手机号已绑定");
  }

  function onPhoneButton(detail: PhoneButtonDetail) {
    const outcome = classifyPhoneButtonDetail(detail);
    if (outcome.kind === "code") return bindPhone({ code: outcome.code });
    if (outcome.kind === "encrypted-data") return bindPhone({ encryptedData: outcome.encryptedData, iv: outcome.iv });
    // No number from WeChat: nothing to send to the server.
    const feedback = phoneButtonFeedback(outcome);
    if (outcome.kind === "failed") console.warn("[mp-auth] getPhoneNumber failed", detail);
    if (feedback.kind === "note") {
      setShownProblem(null);
      setNote(feedback.message);
    } else {
      setNote(null);
      setShownProblem({ problem: feedback.problem, retry: undefined });
    }
  }

  function bindPhoneWithMockCode(mintCode: () => Promise<string>) {
    void run("phone", async () => api.user.bindPhone.mutate({ code: await mintCode() }), "手机号已绑定");
  }

  /** Not one of `run`'s operations: it answers no profile, and success leaves this page signed out. */
  async function deleteAccount() {
    if (busyRef.current || deleting) return;
    setShownProblem(null);
    setNote(null);
    setDeleting(true);
    const outcome = await confirmAndDeleteAccount({
      showModal: (options) => Taro.showModal(options),
      deleteAccount: (input) => api.user.deleteAccount.mutate(input),
      signOut: () => sessionStore.markSignedOut(),
    });
    setDeleting(false);
    if (outcome.kind === "deleted") void Taro.showToast({ title: "账号已注销", icon: "success" });
    if (outcome.kind === "failed") {
      console.error("[mp-auth] account deletion failed:", outcome.problem.reason, outcome.problem.serverMessage);
      setShownProblem({ problem: outcome.problem, retry: undefined });
    }
  }

  const hint = nicknameHint(nicknameDraft);
  const phoneButtonText = user.phoneNumber ? "更换手机号" : "绑定手机号";

  const avatarImage = user.avatarUrl ? (
    <Image id="profile-avatar" className="profile-avatar" src={user.avatarUrl} mode="aspectFill" />
  ) : (
    <View id="profile-avatar-placeholder" className="profile-avatar avatar-placeholder">
      {avatarInitial(user.nickname)}
    </View>
  );

  return (
    <View className="page">
      {/* WeChat asks for privacy consent before chooseAvatar, the nickname input and getPhoneNumber. */}
      {process.env.TARO_ENV === "weapp" ? <PrivacyPopup /> : null}
      <View className="panel profile-card">
        {/* process.env.TARO_ENV is replaced at build time: each bundle keeps one branch only. */}
        {process.env.TARO_ENV === "weapp" ? (
          <Button
            id="profile-avatar-upload"
            className="avatar-button"
            openType="chooseAvatar"
            {...busyProps(false, busy !== null)}
            onChooseAvatar={(event: { detail?: { avatarUrl?: unknown } }) => {
              // A temporary file (wxfile://, http://tmp/...) that only exists on this phone.
              const filePath = event.detail?.avatarUrl;
              if (typeof filePath === "string" && filePath) uploadAndSaveAvatar(filePath);
            }}
          >
            {avatarImage}
          </Button>
        ) : (
          <Button
            id="profile-avatar-upload"
            className="avatar-button"
            {...busyProps(false, busy !== null)}
            onClick={() => void chooseAvatarFromAlbum()}
          >
            {avatarImage}
          </Button>
        )}
        <Text id="profile-avatar-hint" className="avatar-hint">
          {busy === "avatar" ? "正在上传头像…" : "点击头像更换"}
        </Text>
        <Text id="profile-nickname" className="profile-nickname">
          {displayNickname(user.nickname)}
        </Text>
      </View>

      {shownProblem ? <ProblemBanner shown={shownProblem} /> : null}
      {note ? (
        <View id="profile-note" className="profile-note">
          {note}
        </View>
      ) : null}

      <View className="panel form-panel">
        <Text className="field-label">昵称</Text>
        <View className="field-row">
          {/* type="nickname": WeChat offers the user's WeChat nickname above the keyboard and checks it. */}
          <Input
            id="profile-nickname-input"
            className="field-input"
            type="nickname"
            value={nicknameDraft}
            placeholder="请输入昵称"
            // The nickname offered above the keyboard may arrive only with blur, not as input.
            onInput={(event) => setNicknameDraft(event.detail.value)}
            onBlur={(event) => setNicknameDraft(event.detail.value)}
            onConfirm={() => saveNickname()}
            onNickNameReview={(event: { detail?: { pass?: boolean; timeout?: boolean } }) => {
              // WeChat's content check refused the nickname and cleared the field.
              if (event.detail?.pass === false && !event.detail.timeout) {
                setNicknameDraft("");
                setNote("该昵称未通过微信安全检测，请换一个");
              }
            }}
          />
          <Text id="profile-nickname-count" className={hint.overLimit ? "field-hint field-hint-over" : "field-hint"}>
            {hint.count}
          </Text>
        </View>
        {hint.problem ? (
          <Text id="profile-nickname-problem" className="field-hint-line">
            {hint.problem}
          </Text>
        ) : null}
        <Button
          id="profile-save"
          className="button"
          type="primary"
          {...busyProps(busy === "nickname", busy !== null)}
          onClick={() => saveNickname()}
        >
          保存昵称
        </Button>
      </View>

      <View className="panel form-panel">
        <Text className="field-label">手机号</Text>
        <Text id="profile-phone" className={user.phoneNumber ? "phone-number" : "phone-number phone-unbound"}>
          {user.phoneNumber ? maskPhoneNumber(user.phoneNumber) : "未绑定"}
        </Text>
        {process.env.TARO_ENV === "weapp" ? (
          <Button
            id="profile-get-phone"
            className="button"
            openType="getPhoneNumber"
            {...busyProps(busy === "phone", busy !== null)}
            onGetPhoneNumber={(event) => onPhoneButton(event.detail)}
          >
            {phoneButtonText}
          </Button>
        ) : null}
        {devPhoneCodeSource ? (
          <Button
            id="profile-bind-phone"
            className="button"
            {...busyProps(busy === "phone", busy !== null)}
            onClick={() => bindPhoneWithMockCode(devPhoneCodeSource)}
          >
            {`${phoneButtonText}（模拟微信）`}
          </Button>
        ) : null}
        {process.env.TARO_ENV !== "weapp" && !devPhoneCodeSource ? (
          <Text className="field-hint-line">H5 页面无法获取微信手机号</Text>
        ) : null}
      </View>

      <View className="panel form-panel">
        <Text className="field-label">注销账号</Text>
        <Text className="field-hint-line">注销后资料将被永久删除，再次登录将是一个全新的账号</Text>
        <Button
          id="profile-delete-account"
          className="button"
          type="warn"
          {...busyProps(deleting, busy !== null || deleting)}
          onClick={() => void deleteAccount()}
        >
          注销账号
        </Button>
      </View>
    </View>
  );
}

function ProblemBanner({ shown }: { shown: ShownProblem }) {
  const { problem, retry } = shown;
  // relogin reaching the page means the silent relogin failed; block needs an explicit login.
  const needsLogin = problem.action === "relogin" || problem.action === "block";
  return (
    <View
      id="profile-error"
      className="profile-error"
      data-operation={problem.operation}
      data-reason={problem.reason}
      data-action={problem.action}
      data-server-message={problem.serverMessage ?? ""}
    >
      <Text className="error-message">{problem.message}</Text>
      {retry ? (
        <Button id="profile-retry" className="mini-button" size="mini" onClick={retry}>
          重试
        </Button>
      ) : null}
      {needsLogin ? (
        <Button id="profile-relogin" className="mini-button" size="mini" onClick={() => void sessionStore.login()}>
          重新登录
        </Button>
      ) : null}
    </View>
  );
}
