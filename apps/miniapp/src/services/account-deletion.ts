import { ACCOUNT_DELETION_CONFIRMATION } from "@mp-auth/contract";
import { userFacingError, type UserFacingError } from "./user-facing-error";

/** The parts of Taro.showModal the dialog uses. */
export type ShowModal = (options: {
  title: string;
  content: string;
  confirmText: string;
  confirmColor: string;
  cancelText: string;
}) => Promise<{ confirm: boolean }>;

export interface AccountDeletionDeps {
  /** Taro.showModal: passed in, so tests answer the dialog without a mini-program runtime. */
  showModal: ShowModal;
  /** api.user.deleteAccount.mutate */
  deleteAccount: (input: { confirm: typeof ACCOUNT_DELETION_CONFIRMATION }) => Promise<unknown>;
  /** Forgets the session and shows the signed-out state (sessionStore.markSignedOut). */
  signOut: () => void;
}

export type AccountDeletionOutcome =
  { kind: "cancelled" } | { kind: "deleted" } | { kind: "failed"; problem: UserFacingError };

/**
 * 注销账号: asks first (the server erases the profile for good), sends the confirmation literal only
 * after the user agreed, then signs out: the token died with the account, and staying signed in
 * would make the link log straight into a new, empty account.
 */
export async function confirmAndDeleteAccount(deps: AccountDeletionDeps): Promise<AccountDeletionOutcome> {
  const answer = await deps.showModal({
    title: "注销账号",
    content: "注销后，你的昵称、头像、手机号和登录设备将被永久删除，无法恢复。确定要注销吗？",
    confirmText: "确认注销",
    confirmColor: "#e64340",
    cancelText: "取消",
  });
  if (!answer.confirm) return { kind: "cancelled" };
  try {
    await deps.deleteAccount({ confirm: ACCOUNT_DELETION_CONFIRMATION });
  } catch (error) {
    return { kind: "failed", problem: userFacingError(error, "account") };
  }
  deps.signOut();
  return { kind: "deleted" };
}
