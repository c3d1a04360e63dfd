import { Button, Text, View } from "@tarojs/components";
import { blockedUntilText, type UserFacingError } from "../services/user-facing-error";

interface BlockedPanelProps {
  id: string;
  error: UserFacingError;
  onRetry: () => void;
}

/**
 * Action `block`: this user may not sign in (an operator's ban, ACCOUNT_BANNED, or WeChat's risk
 * control, WX_USER_BLOCKED). Nothing logs in automatically from here; the page says why, when a
 * timed ban ends, and offers one login by hand, for a ban that has ended or been lifted since.
 */
export function BlockedPanel({ id, error, onRetry }: BlockedPanelProps) {
  return (
    <View id={id} className="panel error-panel blocked-panel" data-reason={error.reason} data-action={error.action}>
      <Text className="status-text">暂时无法使用</Text>
      <Text className="error-message">{error.message}</Text>
      {error.blockedUntil ? (
        <Text id={`${id}-until`} className="status-text">
          {blockedUntilText(error.blockedUntil)}
        </Text>
      ) : null}
      {error.retryable ? (
        <Button id="retry" className="button" onClick={onRetry}>
          重新登录
        </Button>
      ) : null}
    </View>
  );
}
