-- Written by hand in the layout `prisma migrate diff` uses for MySQL (Prisma 6.19's offline schema
-- engine has no MySQL connector); packages/db's tests check it against the PostgreSQL migrations,
-- which Prisma wrote from the same model. Tables use the binary collation utf8mb4_bin (Prisma's
-- default is the case-insensitive utf8mb4_unicode_ci): openid, unionid and token hashes are
-- case-sensitive identifiers, and two openids differing only in letter case are two users.

-- CreateTable
CREATE TABLE `User` (
    `id` VARCHAR(191) NOT NULL,
    `appid` VARCHAR(191) NOT NULL,
    `openid` VARCHAR(191) NOT NULL,
    `unionid` VARCHAR(191) NULL,
    `nickname` TEXT NULL,
    `avatarUrl` TEXT NULL,
    `phoneNumber` VARCHAR(191) NULL,
    `phoneCountryCode` TEXT NULL,
    `phoneBoundAt` DATETIME(3) NULL,
    `sessionKeyCiphertext` TEXT NULL,
    `sessionKeyUpdatedAt` DATETIME(3) NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `updatedAt` DATETIME(3) NOT NULL,
    `lastLoginAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    INDEX `User_unionid_idx`(`unionid`),
    UNIQUE INDEX `User_appid_openid_key`(`appid`, `openid`),
    UNIQUE INDEX `User_appid_phoneNumber_key`(`appid`, `phoneNumber`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- CreateTable
CREATE TABLE `Session` (
    `id` VARCHAR(191) NOT NULL,
    `tokenHash` VARCHAR(191) NOT NULL,
    `userId` VARCHAR(191) NOT NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `expiresAt` DATETIME(3) NOT NULL,
    `lastUsedAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `revokedAt` DATETIME(3) NULL,
    `revokedReason` TEXT NULL,
    `userAgent` TEXT NULL,
    `clientIp` TEXT NULL,

    UNIQUE INDEX `Session_tokenHash_key`(`tokenHash`),
    INDEX `Session_userId_idx`(`userId`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;

-- AddForeignKey
ALTER TABLE `Session` ADD CONSTRAINT `Session_userId_fkey` FOREIGN KEY (`userId`) REFERENCES `User`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;
