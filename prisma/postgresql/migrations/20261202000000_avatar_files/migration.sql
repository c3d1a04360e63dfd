-- CreateTable
CREATE TABLE "AvatarFile" (
    "name" TEXT NOT NULL,
    "contentType" TEXT NOT NULL,
    "bytes" BYTEA NOT NULL,
    "size" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AvatarFile_pkey" PRIMARY KEY ("name")
);

-- CreateIndex
CREATE INDEX "AvatarFile_createdAt_idx" ON "AvatarFile"("createdAt");

