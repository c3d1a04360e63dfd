-- Written by hand from the PostgreSQL migration of the same name (Prisma 6.19's offline schema
-- engine has no MySQL connector). banReason is in no index, so TEXT like the schema's other such
-- strings; the columns inherit the table's utf8mb4_bin collation.

-- AlterTable
ALTER TABLE `User` ADD COLUMN `banReason` TEXT NULL,
    ADD COLUMN `bannedAt` DATETIME(3) NULL,
    ADD COLUMN `bannedUntil` DATETIME(3) NULL,
    ADD COLUMN `deletedAt` DATETIME(3) NULL;
