import type { Database, Prisma } from "@mp-auth/db";

/**
 * One person, several accounts: WeChat gives a user the same unionid in every app bound to one Open
 * Platform account, and a different openid in each. This server keeps one account per app (appid +
 * openid) and never merges them silently (each app's profile, phone binding and sessions stay its
 * own); these functions show the operator which accounts belong together.
 */
export const linkedAccountSelect = {
  id: true,
  appid: true,
  openid: true,
  unionid: true,
  nickname: true,
  createdAt: true,
  lastLoginAt: true,
} as const satisfies Prisma.UserSelect;

export type LinkedAccount = Prisma.UserGetPayload<{ select: typeof linkedAccountSelect }>;

/** More accounts than apps cannot share a unionid; the bound only keeps a bad row from flooding output. */
const MAX_LINKED_ACCOUNTS = 100;

/** The accounts (one per app) of the person with this unionid, oldest first; empty when none. */
export function findUsersByUnionid(db: Database, unionid: string): Promise<LinkedAccount[]> {
  if (!unionid) return Promise.resolve([]);
  return db.user.findMany({
    where: { unionid },
    select: linkedAccountSelect,
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
    take: MAX_LINKED_ACCOUNTS,
  });
}

/**
 * The user's accounts in the server's other apps (same unionid, other appid); empty when the user
 * has no unionid or is unknown.
 */
export async function findLinkedAccounts(db: Database, userId: string): Promise<LinkedAccount[]> {
  const user = await db.user.findUnique({ where: { id: userId }, select: { unionid: true } });
  if (!user?.unionid) return [];
  return (await findUsersByUnionid(db, user.unionid)).filter((account) => account.id !== userId);
}
