/** True for Prisma's "unique constraint failed" (P2002), whatever the driver adapter. */
export function isUniqueConstraintError(error: unknown): boolean {
  return (
    typeof error === "object" && error !== null && "code" in error && (error as { code?: unknown }).code === "P2002"
  );
}
