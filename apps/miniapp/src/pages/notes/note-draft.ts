import { noteBodyProblem, noteTitleProblem } from "@mp-auth/contract";
import { inputIssueText, type UserFacingError } from "../../services/user-facing-error";

/** A note as typed in the page's form. */
export interface NoteDraft {
  title: string;
  body: string;
}

/**
 * The pre-check of a create or an edit: the contract's note rules (the ones notes.create /
 * notes.update judge by), so the page never sends what the server would refuse. Shaped like the
 * server's refusal (INVALID_INPUT, action show) so the page shows both the same way.
 */
export function noteDraftRefusal(draft: NoteDraft): UserFacingError | undefined {
  const titleRule = noteTitleProblem(draft.title);
  const bodyRule = titleRule ? undefined : noteBodyProblem(draft.body);
  const message = titleRule ? inputIssueText("title", titleRule) : bodyRule && inputIssueText("body", bodyRule);
  if (message === undefined) return undefined;
  return {
    operation: "note",
    action: "show",
    retryable: true,
    reason: "INVALID_INPUT",
    message,
    serverMessage: undefined,
  };
}
