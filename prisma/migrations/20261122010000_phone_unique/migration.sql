-- CreateIndex
CREATE UNIQUE INDEX "User_appid_phoneNumber_key" ON "User"("appid", "phoneNumber");

