-- Written by hand from the PostgreSQL migration of the same name (Prisma 6.19's offline schema
-- engine has no MySQL connector). Bytes is Prisma's LONGBLOB on MySQL; the binary collation keeps
-- stored names case-sensitive like the other tables.

-- CreateTable
CREATE TABLE `AvatarFile` (
    `name` VARCHAR(191) NOT NULL,
    `contentType` TEXT NOT NULL,
    `bytes` LONGBLOB NOT NULL,
    `size` INTEGER NOT NULL,
    `createdAt` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    INDEX `AvatarFile_createdAt_idx`(`createdAt`),
    PRIMARY KEY (`name`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
