-- CreateTable
CREATE TABLE "AvatarFile" (
    "name" TEXT NOT NULL PRIMARY KEY,
    "contentType" TEXT NOT NULL,
    "bytes" BLOB NOT NULL,
    "size" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE INDEX "AvatarFile_createdAt_idx" ON "AvatarFile"("createdAt");

