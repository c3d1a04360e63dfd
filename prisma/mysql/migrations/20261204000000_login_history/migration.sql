-- Written by hand from the PostgreSQL migration of the same name (Prisma 6.19's offline schema
-- engine has no MySQL connector). Indexed strings are VARCHAR(191), the others TEXT; the binary
-- collation keeps ids case-sensitive like the other tables.

-- CreateTable
CREATE TABLE `LoginAttempt` (
    `id` VARCHAR(191) NOT NULL,
    `userId` VARCHAR(191) NULL,
    `appid` TEXT NOT NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `result` TEXT NOT NULL,
    `reason` TEXT NULL,
    `clientIp` TEXT NULL,
    `userAgent` TEXT NULL,

    INDEX `LoginAttempt_userId_createdAt_idx`(`userId`, `createdAt`),
    INDEX `LoginAttempt_createdAt_idx`(`createdAt`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- AddForeignKey
ALTER TABLE `LoginAttempt` ADD CONSTRAINT `LoginAttempt_userId_fkey` FOREIGN KEY (`userId`) REFERENCES `User`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;
