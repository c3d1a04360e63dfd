import { Button, Text, View } from "@tarojs/components";
import { useEffect } from "react";
import { privacyConsent, usePrivacyConsentState } from "../state/app-privacy";
import "./privacy-popup.css";

/** WeChat checks that the button named in resolve({ event: "agree", buttonId }) was really tapped. */
export const PRIVACY_AGREE_BUTTON_ID = "privacy-agree";

/**
 * The app's own privacy consent popup (weapp only), shown while WeChat holds back chooseAvatar,
 * the nickname input or getPhoneNumber until the user answers. Mount it on every page that has
 * such a component: WeChat pages cannot show a popup rendered by another page or by the app.
 */
export function PrivacyPopup() {
  const state = usePrivacyConsentState();

  useEffect(() => {
    // A new state object per new request: each is reported as seen once.
    if (state.status === "asking") privacyConsent.exposed();
  }, [state]);

  if (state.status !== "asking") return null;
  return (
    <View id="privacy-popup" className="privacy-mask" catchMove>
      <View className="privacy-dialog">
        <Text className="privacy-title">用户隐私保护提示</Text>
        <View className="privacy-text">
          <Text>设置头像、昵称或绑定手机号之前，请阅读并同意</Text>
          <Text id="privacy-contract" className="privacy-link" onClick={() => privacyConsent.openContract()}>
            {state.contractName}
          </Text>
          <Text>。拒绝后这些功能暂不可用，其他功能照常使用，需要时可再次点击。</Text>
        </View>
        <View className="privacy-actions">
          <Button id="privacy-disagree" className="privacy-button" onClick={() => privacyConsent.disagree()}>
            拒绝
          </Button>
          <Button
            id={PRIVACY_AGREE_BUTTON_ID}
            className="privacy-button"
            type="primary"
            openType="agreePrivacyAuthorization"
            onAgreePrivacyAuthorization={() => privacyConsent.agree(PRIVACY_AGREE_BUTTON_ID)}
          >
            同意
          </Button>
        </View>
      </View>
    </View>
  );
}
