import { Button, Text, View } from "@tarojs/components";
import type { UserFacingError } from "../services/user-facing-error";
import { sessionStore } from "../state/app-session";

/** A failed action, and what 「重试」 does for it (only offered for action `retry`). */
export interface ShownProblem {
  problem: UserFacingError;
  retry?: (() => void) | undefined;
}

/**
 * A failed action shown by its client action: `show` the text only, `retry` a 「重试」 button,
 * `relogin` / `block` a 「重新登录」 button (relogin reaching a page means the silent relogin
 * failed; block needs an explicit login). Ids: `<id>`, `<id>-retry`, `<id>-relogin`.
 */
export function ProblemBanner({ id, shown }: { id: string; shown: ShownProblem }) {
  const { problem, retry } = shown;
  const needsLogin = problem.action === "relogin" || problem.action === "block";
  return (
    <View
      id={id}
      className="panel problem-banner"
      data-operation={problem.operation}
      data-reason={problem.reason}
      data-action={problem.action}
    >
      <Text className="error-message">{problem.message}</Text>
      {retry ? (
        <Button id={`${id}-retry`} className="mini-button" size="mini" onClick={retry}>
          重试
        </Button>
      ) : null}
      {needsLogin ? (
        <Button id={`${id}-relogin`} className="mini-button" size="mini" onClick={() => void sessionStore.login()}>
          重新登录
        </Button>
      ) : null}
    </View>
  );
}
