import { Button, Text, View } from "@tarojs/components";
import type { UserFacingError } from "../services/user-facing-error";
import { BlockedPanel } from "./blocked-panel";

interface ErrorPanelProps {
  id: string;
  error: UserFacingError;
  onRetry: () => void;
}

/** A failed load: the reason in Chinese and, when trying again can help, a retry button. */
export function ErrorPanel({ id, error, onRetry }: ErrorPanelProps) {
  // A user who may not sign in gets the blocked screen instead (components/blocked-panel.tsx).
  if (error.action === "block") return <BlockedPanel id={id} error={error} onRetry={onRetry} />;
  return (
    <View id={id} className="panel error-panel" data-reason={error.reason}>
      <Text className="error-message">{error.message}</Text>
      {error.retryable ? (
        <Button id="retry" className="button" type="primary" onClick={onRetry}>
          重试
        </Button>
      ) : null}
    </View>
  );
}
