import { countGraphemes, NICKNAME_MAX_GRAPHEMES, nicknameProblem, type InputIssueCode } from "@mp-auth/contract";
import { inputIssueText, type UserFacingError } from "./user-facing-error";

/**
 * The nickname field: the contract's rule (the one user.updateProfile judges by), applied before
 * sending so the page never sends what the server would refuse, and worded in Chinese.
 */

interface NicknameHint {
  /** "5/20": visible characters (an emoji is one), after trimming. */
  count: string;
  overLimit: boolean;
  /**
   * The rule's sentence while the draft breaks it (an empty draft is not flagged while typing:
   * the save says so).
   */
  problem: string | undefined;
}

export function nicknameHint(draft: string): NicknameHint {
  const count = countGraphemes(draft.trim());
  const rule = nicknameProblem(draft);
  return {
    count: `${count}/${NICKNAME_MAX_GRAPHEMES}`,
    overLimit: count > NICKNAME_MAX_GRAPHEMES,
    problem: rule === undefined || rule === "too_small" ? undefined : inputIssueText("nickname", rule),
  };
}

/**
 * The pre-check of a save: the problem to show instead of sending, or undefined to send. Shaped
 * like the server's refusal (INVALID_INPUT, action show) so the page shows both the same way.
 */
export function nicknameRefusal(draft: string): UserFacingError | undefined {
  const rule: InputIssueCode | undefined = nicknameProblem(draft);
  if (rule === undefined) return undefined;
  return {
    operation: "nickname",
    action: "show",
    retryable: true,
    reason: "INVALID_INPUT",
    message: inputIssueText("nickname", rule),
    serverMessage: undefined,
  };
}
