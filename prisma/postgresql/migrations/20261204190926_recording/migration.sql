-- AlterTable
ALTER TABLE "Camera" ADD COLUMN     "manualRecord" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "manualUntil" TIMESTAMP(3),
ADD COLUMN     "recordMode" TEXT NOT NULL DEFAULT 'off',
ADD COLUMN     "retentionDays" INTEGER NOT NULL DEFAULT 30,
ADD COLUMN     "segmentSec" INTEGER,
ADD COLUMN     "snapshotSec" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "Recording" (
    "id" SERIAL NOT NULL,
    "cameraId" TEXT NOT NULL,
    "startAt" TIMESTAMP(3) NOT NULL,
    "endAt" TIMESTAMP(3),
    "durationMs" INTEGER NOT NULL DEFAULT 0,
    "size" INTEGER NOT NULL DEFAULT 0,
    "initSize" INTEGER NOT NULL,
    "path" TEXT NOT NULL,

    CONSTRAINT "Recording_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Schedule" (
    "id" SERIAL NOT NULL,
    "cameraId" TEXT NOT NULL,
    "weekday" INTEGER NOT NULL,
    "startSec" INTEGER NOT NULL,
    "durationSec" INTEGER NOT NULL,

    CONSTRAINT "Schedule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Snapshot" (
    "id" SERIAL NOT NULL,
    "cameraId" TEXT NOT NULL,
    "takenAt" TIMESTAMP(3) NOT NULL,
    "size" INTEGER NOT NULL,
    "path" TEXT NOT NULL,

    CONSTRAINT "Snapshot_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Export" (
    "id" TEXT NOT NULL,
    "cameraId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "startAt" TIMESTAMP(3) NOT NULL,
    "endAt" TIMESTAMP(3) NOT NULL,
    "transcode" BOOLEAN NOT NULL DEFAULT false,
    "status" TEXT NOT NULL,
    "progress" INTEGER NOT NULL DEFAULT 0,
    "size" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Export_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Recording_cameraId_startAt_idx" ON "Recording"("cameraId", "startAt");

-- CreateIndex
CREATE INDEX "Recording_startAt_idx" ON "Recording"("startAt");

-- CreateIndex
CREATE INDEX "Schedule_cameraId_idx" ON "Schedule"("cameraId");

-- CreateIndex
CREATE INDEX "Snapshot_cameraId_takenAt_idx" ON "Snapshot"("cameraId", "takenAt");

-- AddForeignKey
ALTER TABLE "Recording" ADD CONSTRAINT "Recording_cameraId_fkey" FOREIGN KEY ("cameraId") REFERENCES "Camera"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Schedule" ADD CONSTRAINT "Schedule_cameraId_fkey" FOREIGN KEY ("cameraId") REFERENCES "Camera"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Snapshot" ADD CONSTRAINT "Snapshot_cameraId_fkey" FOREIGN KEY ("cameraId") REFERENCES "Camera"("id") ON DELETE CASCADE ON UPDATE CASCADE;
