-- AlterTable
ALTER TABLE "Camera" ADD COLUMN     "pushKey" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "Camera_pushKey_key" ON "Camera"("pushKey");
